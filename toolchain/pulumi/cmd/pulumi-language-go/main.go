// pulumi-language-go is virtstack's own Go language host for the Pulumi CLI (upstream's lives in a Go
// module published only as untagged pseudo-versions, which the Go module proxy reachable here refuses;
// see the langhost package).
//
// It generates Go SDKs from package schemas with upstream's generator (pkg/v3/codegen/go) for
// `pulumi package gen-sdk --language go` and `pulumi package add`, links them into a program's go.mod,
// and runs Go programs: `go build` of the program's folder with the machine's Go, then the binary with
// the engine's addresses and the stack's configuration in the environment the Go SDK reads
// (sdk/v3/go/pulumi/run.go). It reports the resource plugins the program's packages declare (their
// pulumi-plugin.json). Not implemented: Go plugins (RunPlugin), program conversion (GenerateProgram,
// GenerateProject) and debugging.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"virtstack.local/toolchain/pulumi/langhost"
)

// version is set by the toolchain driver to the Pulumi version this host was built beside.
var version = "0.0.0-dev"

func main() {
	langhost.Serve("pulumi-language-go", &goHost{Base: langhost.NewBase(version, os.Args[1:])})
}

type goHost struct {
	langhost.Base
}

func goTool() (string, error) {
	path, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("go is not on PATH: Go programs and SDKs are built with the machine's Go")
	}
	return path, nil
}

// Run builds the program's folder and runs the binary; the build output goes to the host's stderr, which
// the CLI shows as the program's output, so a compile error reads as one.
func (h *goHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	goBin, err := goTool()
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	dir := langhost.ProgramDir(req.GetInfo(), req.GetPwd())
	out, err := os.MkdirTemp("", "pulumi-go-program-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(out)
	binary := filepath.Join(out, "program")
	entry := "."
	if req.GetInfo() != nil && req.GetInfo().GetEntryPoint() != "" {
		entry = req.GetInfo().GetEntryPoint()
	}
	build := exec.CommandContext(ctx, goBin, "build", "-o", binary, entry)
	build.Dir = dir
	build.Stdout = os.Stderr
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("go build of the program in %s failed: %v", dir, err)}, nil
	}

	configEnv, err := langhost.ConfigEnv(req)
	if err != nil {
		return nil, err
	}
	root := dir
	if req.GetInfo() != nil && req.GetInfo().GetRootDirectory() != "" {
		root = req.GetInfo().GetRootDirectory()
	}
	env := append(os.Environ(), configEnv...)
	env = append(env,
		"PULUMI_MONITOR="+req.GetMonitorAddress(),
		"PULUMI_ENGINE="+h.Engine(),
		"PULUMI_PROJECT="+req.GetProject(),
		"PULUMI_STACK="+req.GetStack(),
		"PULUMI_ORGANIZATION="+req.GetOrganization(),
		"PULUMI_ROOT_DIRECTORY="+root,
		"PULUMI_DRY_RUN="+strconv.FormatBool(req.GetDryRun()),
		"PULUMI_PARALLEL="+strconv.Itoa(int(req.GetParallel())),
	)
	cmd := exec.Command(binary, req.GetArgs()...)
	cmd.Dir = req.GetPwd()
	cmd.Env = env
	return h.Children.RunProgram(cmd, "the program built from "+dir), nil
}

type goPackage struct {
	Dir string `json:"Dir"`
}

type pluginJSON struct {
	Resource bool   `json:"resource"`
	Name     string `json:"name"`
	Version  string `json:"version"`
	Server   string `json:"server"`
}

// requiredPlugins reads the pulumi-plugin.json of every package the program imports: generated SDKs
// write one beside their package's sources, naming the plugin and its version.
func requiredPlugins(ctx context.Context, dir string) ([]*pulumirpc.PluginDependency, error) {
	goBin, err := goTool()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, goBin, "list", "-deps", "-json=Dir", ".")
	cmd.Dir = dir
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list -deps in %s: %w", dir, err)
	}
	var plugins []*pulumirpc.PluginDependency
	seen := map[string]bool{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("reading go list output: %w", err)
		}
		data, err := os.ReadFile(filepath.Join(p.Dir, "pulumi-plugin.json"))
		if err != nil {
			continue
		}
		var meta pluginJSON
		if err := json.Unmarshal(data, &meta); err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(p.Dir, "pulumi-plugin.json"), err)
		}
		if !meta.Resource || meta.Name == "" {
			continue
		}
		v := meta.Version
		if v != "" && !strings.HasPrefix(v, "v") {
			v = "v" + v
		}
		if key := meta.Name + "@" + v; !seen[key] {
			seen[key] = true
			plugins = append(plugins, &pulumirpc.PluginDependency{Name: meta.Name, Kind: "resource", Version: v, Server: meta.Server})
		}
	}
	return plugins, nil
}

func (h *goHost) GetRequiredPlugins(ctx context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	plugins, err := requiredPlugins(ctx, langhost.ProgramDir(req.GetInfo(), req.GetProgram()))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

func (h *goHost) GetRequiredPackages(ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	plugins, err := requiredPlugins(ctx, langhost.ProgramDir(req.GetInfo(), ""))
	if err != nil {
		return nil, err
	}
	return langhost.Packages(plugins), nil
}

func (h *goHost) About(ctx context.Context, _ *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	goBin, err := goTool()
	if err != nil {
		return nil, status.Error(codes.FailedPrecondition, err.Error())
	}
	out, err := exec.CommandContext(ctx, goBin, "env", "GOVERSION").Output()
	if err != nil {
		return nil, fmt.Errorf("go env GOVERSION: %w", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: goBin,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "go"),
		Metadata:   map[string]string{"host": "virtstack"},
	}, nil
}

// InstallDependencies resolves the program's module graph (`go mod tidy`), which also picks up an SDK
// Link has just added.
func (h *goHost) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	goBin, err := goTool()
	if err != nil {
		return status.Error(codes.FailedPrecondition, err.Error())
	}
	dir := langhost.ProgramDir(req.GetInfo(), req.GetDirectory())
	if _, err := os.Stat(filepath.Join(dir, "go.mod")); err != nil {
		return fmt.Errorf("the Go program in %s has no go.mod: run `go mod init <module>` there", dir)
	}
	cmd := exec.Command(goBin, "mod", "tidy")
	cmd.Dir = dir
	cmd.Stdout = &langhost.StreamWriter{Send: func(b []byte) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stdout: b})
	}}
	cmd.Stderr = &langhost.StreamWriter{Send: func(b []byte) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stderr: b})
	}}
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go mod tidy in %s: %w", dir, err)
	}
	return nil
}
