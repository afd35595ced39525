// One VirtualMachine on a cluster that runs virtstack (or upstream KubeVirt), from Go.
//
// The stack is not installed here (no KubeVirtInstall): the cluster already runs it. The VM boots the
// test guest from its containerDisk image and gets cloud-init user-data on a NoCloud disk. Stack config
// (all optional):
//
//	go-vm:namespace   an existing namespace for the VM (default "default")
//	go-vm:name        the VM's name (default "go-vm")
//	go-vm:guestImage  its containerDisk (default the locally built test guest)
package main

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/config"

	"virtstack.local/sdk/go/virtstack"
)

func orDefault(value, fallback string) string {
	if value == "" {
		return fallback
	}
	return value
}

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		cfg := config.New(ctx, "")
		namespace := orDefault(cfg.Get("namespace"), "default")
		name := orDefault(cfg.Get("name"), "go-vm")
		image := orDefault(cfg.Get("guestImage"), "localhost/virtstack/test-guest:dev")
		// Imported into the nodes by `npm run images`, never pulled; a registry's image is pulled as usual.
		pullPolicy := "IfNotPresent"
		if strings.HasPrefix(image, "localhost/") {
			pullPolicy = "Never"
		}
		userData := fmt.Sprintf("#cloud-config\nhostname: %s\nvirtstack_example: hello from Go\n", name)

		vm, err := virtstack.NewVirtualMachine(ctx, name, &virtstack.VirtualMachineArgs{
			Name:        &name,
			Namespace:   pulumi.String(namespace),
			RunStrategy: pulumi.String("Always"),
			Template: &virtstack.VirtualMachineInstanceTemplateArgs{
				Metadata: &virtstack.EmbeddedObjectMetaArgs{Labels: pulumi.StringMap{"app": pulumi.String(name)}},
				Spec: &virtstack.VirtualMachineInstanceSpecArgs{
					Domain: &virtstack.DomainSpecArgs{
						Memory: &virtstack.MemoryArgs{Guest: pulumi.String("128Mi")},
						Devices: &virtstack.DevicesArgs{Disks: virtstack.DiskArray{
							&virtstack.DiskArgs{Name: pulumi.String("root"), Disk: &virtstack.DiskDiskArgs{Bus: pulumi.String("virtio")}},
							&virtstack.DiskArgs{Name: pulumi.String("cloudinit"), Disk: &virtstack.DiskDiskArgs{Bus: pulumi.String("virtio")}},
						}},
					},
					TerminationGracePeriodSeconds: pulumi.Float64(30),
					Volumes: virtstack.VolumeArray{
						&virtstack.VolumeArgs{
							Name:          pulumi.String("root"),
							ContainerDisk: &virtstack.ContainerDiskArgs{Image: pulumi.String(image), ImagePullPolicy: pulumi.String(pullPolicy)},
						},
						&virtstack.VolumeArgs{
							Name:             pulumi.String("cloudinit"),
							CloudInitNoCloud: &virtstack.CloudInitNoCloudArgs{UserData: pulumi.String(userData)},
						},
					},
				},
			},
		})
		if err != nil {
			return err
		}
		ctx.Export("name", vm.Name)
		ctx.Export("namespace", vm.Namespace)
		ctx.Export("printableStatus", vm.PrintableStatus)
		ctx.Export("nodeName", vm.NodeName)
		ctx.Export("ipAddress", vm.IpAddress)
		return nil
	})
}
