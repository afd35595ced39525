// pulumi-language-python is virtstack's own Python language host for the Pulumi CLI (upstream's is
// not served by the Go module proxy here; see the langhost package).
//
// It runs programs through the pulumi-language-python-exec script of the sdk/v3 module (copied beside
// this binary by the toolchain), with the Python of the project's virtualenv (runtime option
// `virtualenv`), else PULUMI_PYTHON_CMD, else python3. It reports the resource plugins the installed
// packages declare (their pulumi-plugin.json), installs requirements.txt into the virtualenv, and
// answers `pulumi about`. It generates Python SDKs (GeneratePackage, upstream's pkg/v3/codegen/python)
// and adds them to a program's requirements.txt (Link), for `pulumi package gen-sdk` and
// `pulumi package add` (codegen.go). Not implemented: running plugins written in Python (RunPlugin),
// the uv and poetry toolchains, program conversion (GenerateProgram/GenerateProject) and Pack.
package main

import (
	"context"
	"encoding/json"
	"fmt"
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

const execScript = "pulumi-language-python-exec"

func main() {
	langhost.Serve("pulumi-language-python", &pythonHost{Base: langhost.NewBase(version, os.Args[1:])})
}

type pythonHost struct {
	langhost.Base
}

// virtualenv is the project's virtualenv folder, when Pulumi.yaml names one (relative to the project root).
func virtualenv(info *pulumirpc.ProgramInfo) string {
	v, ok := langhost.Option(info, "virtualenv")
	if !ok || v.GetStringValue() == "" {
		return ""
	}
	dir := v.GetStringValue()
	if !filepath.IsAbs(dir) && info.GetRootDirectory() != "" {
		dir = filepath.Join(info.GetRootDirectory(), dir)
	}
	return dir
}

func python(info *pulumirpc.ProgramInfo) string {
	if venv := virtualenv(info); venv != "" {
		return filepath.Join(venv, "bin", "python")
	}
	if cmd := os.Getenv("PULUMI_PYTHON_CMD"); cmd != "" {
		return cmd
	}
	return "python3"
}

func pythonEnv(info *pulumirpc.ProgramInfo) []string {
	env := append(os.Environ(), "PYTHONUNBUFFERED=1")
	if venv := virtualenv(info); venv != "" {
		// As `activate` would: the venv's tools first on PATH.
		env = append(env, "VIRTUAL_ENV="+venv, "PATH="+filepath.Join(venv, "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	}
	return env
}

func (h *pythonHost) Run(_ context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	script := filepath.Join(filepath.Dir(self), execScript)
	if _, err := os.Stat(script); err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("%s is missing beside the language host (%s): rebuild with `npm run toolchain -- pulumi`", execScript, script)}, nil
	}
	engine := h.Engine()
	info := req.GetInfo()
	program := langhost.ProgramDir(info, req.GetPwd())
	if info != nil && info.GetEntryPoint() != "" && info.GetEntryPoint() != "." {
		program = filepath.Join(program, info.GetEntryPoint())
	}
	args := []string{"-u", script,
		"--monitor", req.GetMonitorAddress(),
		"--engine", engine,
		"--project", req.GetProject(),
		"--stack", req.GetStack(),
		"--pwd", req.GetPwd(),
		"--dry_run", strconv.FormatBool(req.GetDryRun()),
		"--parallel", strconv.Itoa(int(req.GetParallel())),
		"--organization", req.GetOrganization(),
	}
	if info != nil && info.GetRootDirectory() != "" {
		args = append(args, "--root_directory", info.GetRootDirectory())
	}
	args = append(args, program)
	args = append(args, req.GetArgs()...)
	configEnv, err := langhost.ConfigEnv(req)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(python(info), args...)
	cmd.Dir = req.GetPwd()
	cmd.Env = append(pythonEnv(info), configEnv...)
	return h.Children.RunProgram(cmd, python(info)+" (is Python 3 installed, or the virtualenv created?)"), nil
}

// pluginsScript prints, as JSON, the pulumi-plugin.json of every installed package that has one:
// that file is how Pulumi's Python packages declare the resource plugin they need.
const pluginsScript = `
import json, importlib.metadata as md
out = []
for dist in md.distributions():
    for f in dist.files or []:
        if f.name == "pulumi-plugin.json" and len(f.parts) == 2:
            try:
                meta = json.loads(f.read_text())
            except Exception:
                continue
            meta["package"] = dist.metadata["Name"]
            meta["packageVersion"] = dist.version
            out.append(meta)
print(json.dumps(out))
`

type pluginMeta struct {
	Resource       bool   `json:"resource"`
	Name           string `json:"name"`
	Version        string `json:"version"`
	Server         string `json:"server"`
	Package        string `json:"package"`
	PackageVersion string `json:"packageVersion"`
}

func requiredPlugins(info *pulumirpc.ProgramInfo) ([]*pulumirpc.PluginDependency, error) {
	cmd := exec.Command(python(info), "-c", pluginsScript)
	cmd.Env = pythonEnv(info)
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("listing the Python packages' Pulumi plugins with %s: %w", python(info), err)
	}
	var metas []pluginMeta
	if err := json.Unmarshal(out, &metas); err != nil {
		return nil, fmt.Errorf("reading the Python packages' Pulumi plugins: %w", err)
	}
	var plugins []*pulumirpc.PluginDependency
	for _, m := range metas {
		if !m.Resource {
			continue
		}
		name := m.Name
		if name == "" {
			name = strings.TrimPrefix(m.Package, "pulumi_")
		}
		v := m.Version
		if v == "" {
			v = m.PackageVersion
		}
		if !strings.HasPrefix(v, "v") {
			v = "v" + v
		}
		plugins = append(plugins, &pulumirpc.PluginDependency{Name: name, Kind: "resource", Version: v, Server: m.Server})
	}
	return plugins, nil
}

func (h *pythonHost) GetRequiredPlugins(_ context.Context, req *pulumirpc.GetRequiredPluginsRequest,
) (*pulumirpc.GetRequiredPluginsResponse, error) {
	plugins, err := requiredPlugins(req.GetInfo())
	if err != nil {
		return nil, err
	}
	return &pulumirpc.GetRequiredPluginsResponse{Plugins: plugins}, nil
}

func (h *pythonHost) GetRequiredPackages(_ context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	plugins, err := requiredPlugins(req.GetInfo())
	if err != nil {
		return nil, err
	}
	return langhost.Packages(plugins), nil
}

func (h *pythonHost) GetProgramDependencies(_ context.Context, req *pulumirpc.GetProgramDependenciesRequest,
) (*pulumirpc.GetProgramDependenciesResponse, error) {
	cmd := exec.Command(python(req.GetInfo()), "-m", "pip", "list", "--format=json", "--disable-pip-version-check")
	cmd.Env = pythonEnv(req.GetInfo())
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("pip list: %w", err)
	}
	var list []struct {
		Name    string `json:"name"`
		Version string `json:"version"`
	}
	if err := json.Unmarshal(out, &list); err != nil {
		return nil, fmt.Errorf("reading pip list: %w", err)
	}
	deps := make([]*pulumirpc.DependencyInfo, 0, len(list))
	for _, d := range list {
		deps = append(deps, &pulumirpc.DependencyInfo{Name: d.Name, Version: d.Version})
	}
	return &pulumirpc.GetProgramDependenciesResponse{Dependencies: deps}, nil
}

func (h *pythonHost) About(_ context.Context, req *pulumirpc.AboutRequest) (*pulumirpc.AboutResponse, error) {
	py := python(req.GetInfo())
	path, err := exec.LookPath(py)
	if err != nil {
		return nil, status.Errorf(codes.FailedPrecondition, "%s not found", py)
	}
	out, err := exec.Command(path, "--version").Output()
	if err != nil {
		return nil, fmt.Errorf("%s --version: %w", path, err)
	}
	return &pulumirpc.AboutResponse{
		Executable: path,
		Version:    strings.TrimPrefix(strings.TrimSpace(string(out)), "Python "),
		Metadata:   map[string]string{"host": "virtstack"},
	}, nil
}

// InstallDependencies creates the virtualenv when the project names one, then installs
// requirements.txt into it (or into the Python on PATH when there is no virtualenv).
func (h *pythonHost) InstallDependencies(req *pulumirpc.InstallDependenciesRequest,
	server pulumirpc.LanguageRuntime_InstallDependenciesServer,
) error {
	info := req.GetInfo()
	dir := langhost.ProgramDir(info, req.GetDirectory())
	stdout := &langhost.StreamWriter{Send: func(b []byte) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stdout: b})
	}}
	stderr := &langhost.StreamWriter{Send: func(b []byte) error {
		return server.Send(&pulumirpc.InstallDependenciesResponse{Stderr: b})
	}}
	run := func(name string, args ...string) error {
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = pythonEnv(info)
		cmd.Stdout = stdout
		cmd.Stderr = stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
		}
		return nil
	}
	if venv := virtualenv(info); venv != "" {
		if _, err := os.Stat(filepath.Join(venv, "bin", "python")); err != nil {
			if err := run("python3", "-m", "venv", venv); err != nil {
				return err
			}
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "requirements.txt")); err != nil {
		return nil
	}
	return run(python(info), "-m", "pip", "install", "--disable-pip-version-check", "-r", "requirements.txt")
}
