package langhost

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"

	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
	"github.com/pulumi/pulumi/pkg/v3/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Generator turns a bound package into the files of its SDK, keyed by path relative to the SDK's folder.
// The loader answers for the packages the schema references (the engine serves it).
type Generator func(pkg *schema.Package, loader schema.ReferenceLoader, req *pulumirpc.GeneratePackageRequest) (map[string][]byte, error)

// GeneratePackage answers the engine's GeneratePackage for one language: it binds the schema the engine
// sent with the engine's schema loader, runs gen and writes the files under the requested folder.
// Schema errors are returned as diagnostics, as the engine expects, not as an RPC error: the CLI prints
// them with their location in the schema.
func GeneratePackage(
	_ context.Context, req *pulumirpc.GeneratePackageRequest, gen Generator,
) (*pulumirpc.GeneratePackageResponse, error) {
	if req.GetLoaderTarget() == "" {
		return nil, fmt.Errorf("GeneratePackage: the engine sent no schema loader address")
	}
	if req.GetDirectory() == "" {
		return nil, fmt.Errorf("GeneratePackage: the engine sent no output folder")
	}
	client, err := schema.NewLoaderClient(req.GetLoaderTarget())
	if err != nil {
		return nil, fmt.Errorf("connecting to the engine's schema loader: %w", err)
	}
	defer client.Close()
	loader := schema.NewCachedLoader(client)

	var spec schema.PackageSpec
	if err := json.Unmarshal([]byte(req.GetSchema()), &spec); err != nil {
		return nil, fmt.Errorf("the schema the engine sent is not valid JSON: %w", err)
	}
	// As upstream's hosts do: a reference to a type of another package that the loader cannot resolve
	// is reported by that package's own SDK, not here.
	pkg, diags, err := schema.BindSpec(spec, loader, schema.ValidationOptions{AllowDanglingReferences: true})
	if err != nil {
		return nil, fmt.Errorf("binding the schema of %s: %w", spec.Name, err)
	}
	if diags.HasErrors() {
		return &pulumirpc.GeneratePackageResponse{Diagnostics: plugin.HclDiagnosticsToRPCDiagnostics(diags)}, nil
	}
	files, err := gen(pkg, loader, req)
	if err != nil {
		return nil, fmt.Errorf("generating the SDK of %s: %w", pkg.Name, err)
	}
	if err := WriteFiles(req.GetDirectory(), files); err != nil {
		return nil, err
	}
	return &pulumirpc.GeneratePackageResponse{Diagnostics: plugin.HclDiagnosticsToRPCDiagnostics(diags)}, nil
}

// WriteFiles writes files (paths relative to dir) in a stable order, so a failure always names the same file.
func WriteFiles(dir string, files map[string][]byte) error {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return fmt.Errorf("creating the folder of %s: %w", path, err)
		}
		if err := os.WriteFile(path, files[name], 0o644); err != nil {
			return fmt.Errorf("writing %s: %w", path, err)
		}
	}
	return nil
}

// LinkTarget is one generated SDK that Link adds to a program: its folder, absolute and as given
// (relative to the program's root), and the package the engine says it is.
type LinkTarget struct {
	Dir      string
	Relative string
	Name     string
}

// LinkTargets resolves the SDK folders of a LinkRequest against the program's root folder.
func LinkTargets(req *pulumirpc.LinkRequest) (root string, targets []LinkTarget, err error) {
	info := req.GetInfo()
	if info == nil {
		return "", nil, fmt.Errorf("Link: the engine sent no program information")
	}
	root = info.GetProgramDirectory()
	if root == "" {
		root = info.GetRootDirectory()
	}
	if root == "" {
		return "", nil, fmt.Errorf("Link: the engine sent no program folder")
	}
	for _, dep := range req.GetPackages() {
		rel := dep.GetPath()
		dir := rel
		if !filepath.IsAbs(dir) {
			dir = filepath.Join(root, rel)
		}
		if _, err := os.Stat(dir); err != nil {
			return "", nil, fmt.Errorf("Link: the SDK of %s is not at %s: %w", dep.GetPackage().GetName(), dir, err)
		}
		targets = append(targets, LinkTarget{Dir: dir, Relative: rel, Name: dep.GetPackage().GetName()})
	}
	return root, targets, nil
}
