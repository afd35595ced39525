// pulumi-language-nodejs is virtstack's own Node.js language host for the Pulumi CLI.
//
// Upstream's host lives in a Go module of its own that is published only as untagged
// pseudo-versions, and the Go module proxy reachable here refuses those. The contract between
// the engine and a language host is the LanguageRuntime gRPC service of sdk/v3 (served here at
// the pinned version), and the contract between a host and the program is the command line of
// @pulumi/pulumi's cmd/run and cmd/run-plugin, read from the npm package we pin. This host
// implements exactly that: it runs programs and Node.js plugins, reports the plugins a program
// needs, installs dependencies with npm and answers `pulumi about`. It generates TypeScript SDKs
// (GeneratePackage, upstream's pkg/v3/codegen/nodejs) and links them into a program's package.json
// (Link), which is what `pulumi package gen-sdk` and `pulumi package add` call (codegen.go). Not
// implemented: Template, GenerateProgram/GenerateProject (`pulumi new`, `pulumi convert`,
// `pulumi import --generate-code`) and Pack (`pulumi package pack-sdk`).
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
	"sort"
	"strconv"
	"strings"
	"sync"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"virtstack.local/toolchain/pulumi/langhost"
)

// version is set by the toolchain driver to the Pulumi version this host was built beside.
var version = "0.0.0-dev"

func main() {
	langhost.Serve("pulumi-language-nodejs", &nodeHost{Base: langhost.NewBase(version, os.Args[1:])})
}

type nodeHost struct {
	langhost.Base
}

var programDir = langhost.ProgramDir

// findSDKFile resolves a file of @pulumi/pulumi the way Node.js would for a program in dir:
// the nearest node_modules going up. The program's own copy must be used, never one beside the
// host, because the SDK and the program share module state.
func findSDKFile(dir, rel string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		candidate := filepath.Join(d, "node_modules", "@pulumi", "pulumi", rel)
		if _, err := os.Stat(candidate); err == nil {
			return candidate, nil
		}
		if filepath.Dir(d) == d {
			return "", fmt.Errorf("@pulumi/pulumi is not installed for the program in %s "+
				"(no node_modules/@pulumi/pulumi/%s in it or a parent folder): run `npm install` there", dir, rel)
		}
	}
}

var option = langhost.Option

func (h *nodeHost) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	dir := programDir(req.GetInfo(), req.GetPwd())
	runScript, err := findSDKFile(dir, filepath.Join("cmd", "run"))
	if err != nil {
		return &pulumirpc.RunResponse{Error: err.Error()}, nil
	}
	engine := h.Engine()

	var args []string
	if v, ok := option(req.GetInfo(), "nodeargs"); ok && v.GetStringValue() != "" {
		args = append(args, strings.Fields(v.GetStringValue())...)
	}
	args = append(args, runScript,
		"--monitor="+req.GetMonitorAddress(),
		"--engine="+engine,
		"--organization="+req.GetOrganization(),
		"--project="+req.GetProject(),
		"--stack="+req.GetStack(),
		"--pwd="+req.GetPwd(),
		"--parallel="+strconv.Itoa(int(req.GetParallel())),
	)
	if req.GetInfo() != nil && req.GetInfo().GetRootDirectory() != "" {
		args = append(args, "--root-directory="+req.GetInfo().GetRootDirectory())
	}
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	if req.GetQueryMode() {
		args = append(args, "--query-mode")
	}
	entry := "."
	if req.GetInfo() != nil && req.GetInfo().GetEntryPoint() != "" {
		entry = req.GetInfo().GetEntryPoint()
	} else if req.GetProgram() != "" {
		entry = req.GetProgram()
	}
	args = append(args, entry)
	args = append(args, req.GetArgs()...)

	configEnv, err := langhost.ConfigEnv(req)
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), configEnv...)
	if v, ok := option(req.GetInfo(), "typescript"); ok {
		env = append(env, "PULUMI_NODEJS_TYPESCRIPT="+strconv.FormatBool(v.GetBoolValue()))
	}
	if v, ok := option(req.GetInfo(), "tsconfig"); ok && v.GetStringValue() != "" {
		env = append(env, "PULUMI_NODEJS_TSCONFIG_PATH="+v.GetStringValue())
	}
	cmd := exec.Command("node", args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = env
	return h.Children.RunProgram(cmd, "node (is Node.js on PATH?)"), nil
}

// RunPlugin runs a plugin written in Node.js (for example a component provider whose
// PulumiPlugin.yaml says runtime: nodejs) and streams its output back to the engine.
func (h *nodeHost) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	dir := programDir(req.GetInfo(), req.GetPwd())
	script, err := findSDKFile(dir, filepath.Join("cmd", "run-plugin"))
	if err != nil {
		return status.Error(codes.FailedPrecondition, err.Error())
	}
	program := dir
	if req.GetInfo() != nil && req.GetInfo().GetEntryPoint() != "" {
		program = filepath.Join(dir, req.GetInfo().GetEntryPoint())
	}
	cmd := exec.Command("node", append([]string{script, program}, req.GetArgs()...)...)
	cmd.Dir = req.GetPwd()
	cmd.Env = append(os.Environ(), req.GetEnv()...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return status.Errorf(codes.Unavailable, "cannot start node (is Node.js on PATH?): %v", err)
	}
	h.Children.Track(cmd)
	defer h.Children.Untrack(cmd)

	var sendMu sync.Mutex
	send := func(resp *pulumirpc.RunPluginResponse) {
		sendMu.Lock()
		defer sendMu.Unlock()
		_ = server.Send(resp)
	}
	var wg sync.WaitGroup
	pump := func(r io.Reader, wrap func([]byte) *pulumirpc.RunPluginResponse) {
		defer wg.Done()
		buf := make([]byte, 32*1024)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				send(wrap(append([]byte(nil), buf[:n]...)))
			}
			if err != nil {
				return
			}
		}
	}
	wg.Add(2)
	go pump(stdout, func(b []byte) *pulumirpc.RunPluginResponse {
		return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stdout{Stdout: b}}
	})
	go pump(stderr, func(b []byte) *pulumirpc.RunPluginResponse {
		return &pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Stderr{Stderr: b}}
	})
	wg.Wait()
	code := 0
	if err := cmd.Wait(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return err
		}
		code = exit.ExitCode()
	}
	send(&pulumirpc.RunPluginResponse{Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(code)}})
	return nil
}

type packageJSON struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Main                 string            `json:"main"`
	Dependencies         map[string]string `json:"dependencies"`
	DevDependencies      map[string]string `json:"devDependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	Pulumi               *struct {
		Resource bool   `json:"resource"`
		Name     string `json:"name"`
		Version  string `json:"version"`
		Server   string `json:"server"`
	} `json:"pulumi"`
}

func readPackage(path string) (*packageJSON, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var pkg packageJSON
	if err := json.Unmarshal(data, &pkg); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &pkg, nil
}

// resolvePackage finds the folder of dependency name as Node.js would from a package in from.
func resolvePackage(from, name string) (string, bool) {
	for d := from; ; d = filepath.Dir(d) {
		candidate := filepath.Join(d, "node_modules", name)
		if _, err := os.Stat(filepath.Join(candidate, "package.json")); err == nil {
			return candidate, true
		}
		if filepath.Dir(d) == d {
			return "", false
		}
	}
}

type dependency struct {
	dir string
	pkg *packageJSON
}

// dependencies walks the program's dependency graph (not every package that happens to sit in
// node_modules), the way npm would load it, so only plugins the program can reach are reported.
func dependencies(dir string) ([]dependency, error) {
	root, err := readPackage(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, fmt.Errorf("reading the program's package.json: %w", err)
	}
	seen := map[string]bool{}
	var out []dependency
	var visit func(from string, pkg *packageJSON, top bool)
	visit = func(from string, pkg *packageJSON, top bool) {
		names := map[string]bool{}
		for n := range pkg.Dependencies {
			names[n] = true
		}
		for n := range pkg.OptionalDependencies {
			names[n] = true
		}
		if top {
			for n := range pkg.DevDependencies {
				names[n] = true
			}
		}
		sorted := make([]string, 0, len(names))
		for n := range names {
			sorted = append(sorted, n)
		}
		sort.Strings(sorted)
		for _, name := range sorted {
			depDir, ok := resolvePackage(from, name)
			if !ok || seen[depDir] {
				continue
			}
			seen[depDir] = true
			dep, err := readPackage(filepath.Join(depDir, "package.json"))
			if err != nil {
				continue
			}
			out = append(out, dependency{dir: depDir, pkg: dep})
			visit(depDir, dep, false)
		}
	}
	visit(dir, root, true)
	return out, nil
}

func requiredPlugins(dir string) ([]*pulumirpc.PluginDependency, error) {
	deps, err := dependencies(dir)
	if err != nil {
		return nil, err
	}
	var plugins []*pulumirpc.PluginDependency
	seen := map[string]bool{}
	for _, d := range deps {
		p := d.pkg.Pulumi
		if p == nil || !p.Resource {
			continue
		}
		name := p.Name
		if name == "" {
			name = strings.TrimPrefix(d.pkg.Name, "@pulumi/")
		}
		v := p.Version
		if v == "" {
			v = d.pkg.Version
		}
		if !strings.HasPrefix(v, "v") {
			v = "v" + v
		}
		key := name + "@" + v
		if seen[key] {
			continue
		}
		seen[key] = true
		plugins = append(plugins, &pulumirpc.PluginDependency{Name: name, Kind: "resource", Version: v, Server: p.Server})
	}
	return plugins, nil
}

func (h *nodeHost) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	plugins, err := requiredPlugins(programDir(req.GetInfo(), req.GetProgram()))
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

func (h *nodeHost) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	plugins, err := requiredPlugins(programDir(req.GetInfo(), ""))
	if err != nil {
		return nil, err
	}
	return langhost.Packages(plugins), nil
}

func (h *nodeHost) GetProgramDependencies(_ context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	dir := programDir(req.GetInfo(), req.GetPwd())
	deps, err := dependencies(dir)
	if err != nil {
		return nil, err
	}
	root, err := readPackage(filepath.Join(dir, "package.json"))
	if err != nil {
		return nil, err
	}
	out := make([]*pulumirpc.DependencyInfo, 0, len(deps))
	for _, d := range deps {
		// `pulumi about` lists the program's own dependencies unless asked for the whole tree.
		direct := root.Dependencies[d.pkg.Name] != "" || root.DevDependencies[d.pkg.Name] != ""
		if !direct && !req.GetTransitiveDependencies() {
			continue
		}
		out = append(out, &pulumirpc.DependencyInfo{Name: d.pkg.Name, Version: d.pkg.Version})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: out}, nil
}

func (h *nodeHost) About(context.Context, *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	node, err := exec.LookPath("node")
	if err != nil {
		return nil, status.Error(codes.FailedPrecondition, "node is not on PATH")
	}
	out, err := exec.Command(node, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("node --version: %w", err)
	}
	return &pulumirpc.AboutResponse{
		Executable: node,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "v"),
		Metadata:   map[string]string{"host": "virtstack"},
	}, nil
}

// InstallDependencies runs npm in the program's folder; npm is what the project itself uses.
func (h *nodeHost) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	dir := programDir(req.GetInfo(), req.GetDirectory())
	cmd := exec.Command("npm", "install", "--no-audit", "--no-fund")
	cmd.Dir = dir
	out := &langhost.StreamWriter{Send: func(b []byte) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stdout: b})
	}}
	errOut := &langhost.StreamWriter{Send: func(b []byte) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stderr: b})
	}}
	cmd.Stdout = out
	cmd.Stderr = errOut
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("npm install in %s: %w", dir, err)
	}
	return nil
}
