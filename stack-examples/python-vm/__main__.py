"""One VirtualMachine on a cluster that runs virtstack (or upstream KubeVirt), from Python.

The stack is not installed here (no KubeVirtInstall): the cluster already runs it. The VM boots the
test guest from its containerDisk image and gets cloud-init user-data on a NoCloud disk. Stack config
(all optional):
  python-vm:namespace   an existing namespace for the VM (default "default")
  python-vm:name        the VM's name (default "python-vm")
  python-vm:guestImage  its containerDisk (default the locally built test guest)
"""
import pulumi
import pulumi_virtstack as virtstack

config = pulumi.Config()
namespace = config.get("namespace") or "default"
name = config.get("name") or "python-vm"
image = config.get("guestImage") or "localhost/virtstack/test-guest:dev"

user_data = "\n".join([
    "#cloud-config",
    f"hostname: {name}",
    "virtstack_example: hello from Python",
    "",
])

# Nested args as dicts (the SDK's TypedDicts, snake_case keys) or as the SDK's *Args classes.
vm = virtstack.VirtualMachine(
    name,
    name=name,
    namespace=namespace,
    run_strategy="Always",
    template={
        "metadata": {"labels": {"app": name}},
        "spec": {
            "domain": {
                "memory": {"guest": "128Mi"},
                "devices": {"disks": [
                    {"name": "root", "disk": {"bus": "virtio"}},
                    {"name": "cloudinit", "disk": {"bus": "virtio"}},
                ]},
            },
            "termination_grace_period_seconds": 30,
            "volumes": [
                # Imported into the nodes by `npm run images`, never pulled; a registry's image is pulled as usual.
                {"name": "root", "container_disk": {
                    "image": image,
                    "image_pull_policy": "Never" if image.startswith("localhost/") else "IfNotPresent",
                }},
                {"name": "cloudinit", "cloud_init_no_cloud": {"user_data": user_data}},
            ],
        },
    },
)

pulumi.export("name", vm.name)
pulumi.export("namespace", vm.namespace)
pulumi.export("printableStatus", vm.printable_status)
pulumi.export("nodeName", vm.node_name)
pulumi.export("ipAddress", vm.ip_address)
