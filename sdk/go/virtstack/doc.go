// Virtual machines on Kubernetes: KubeVirt-compatible VirtualMachines, DataVolumes and the virtstack stack itself, as Pulumi components
package virtstack
