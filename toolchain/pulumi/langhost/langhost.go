// Package langhost holds what virtstack's Pulumi language hosts share: serving the engine's
// LanguageRuntime gRPC service, running the program as a child process, and the exit-code contract.
//
// Upstream's hosts live in Go modules of their own that are published only as untagged
// pseudo-versions, which the Go module proxy reachable here refuses; the contract between the engine
// and a host is the LanguageRuntime service of sdk/v3 (served here at the pinned version).
package langhost

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/structpb"
)

// BailExitCode is what the SDKs' program runners exit with when the program failed and the error was
// already reported to the engine, so the host must not report it a second time.
const BailExitCode = 32

// EngineAddress picks the engine's address from the host's arguments. The engine passes flags of its
// own (-tracing, -v, --logtostderr, -root) before it, always as the last positional argument; none
// of the flags change what a host must do, so they are accepted and ignored rather than rejected.
func EngineAddress(args []string) string {
	address := ""
	for _, arg := range args {
		if !strings.HasPrefix(arg, "-") {
			address = arg
		}
	}
	return address
}

// Serve registers the host, prints the port on the first line of stdout (the engine reads it there)
// and serves until the engine goes away.
func Serve(name string, server pulumirpc.LanguageRuntimeServer) {
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, server)
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: cannot serve: %v\n", name, err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		os.Exit(1)
	}
}

// Children tracks running programs so Cancel can interrupt them: a program left running would keep
// registering resources with an engine that is shutting down.
type Children struct {
	mu   sync.Mutex
	cmds map[*exec.Cmd]struct{}
}

// Track registers a program started elsewhere (a plugin streaming its output).
func (c *Children) Track(cmd *exec.Cmd) { c.add(cmd) }

// Untrack forgets a program registered with Track.
func (c *Children) Untrack(cmd *exec.Cmd) { c.remove(cmd) }

func (c *Children) add(cmd *exec.Cmd) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cmds == nil {
		c.cmds = map[*exec.Cmd]struct{}{}
	}
	c.cmds[cmd] = struct{}{}
}

func (c *Children) remove(cmd *exec.Cmd) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.cmds, cmd)
}

// Interrupt sends SIGINT to every running program.
func (c *Children) Interrupt() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for cmd := range c.cmds {
		if cmd.Process != nil {
			_ = cmd.Process.Signal(syscall.SIGINT)
		}
	}
}

// RunProgram runs cmd with its output on the host's own stdout and stderr, which the engine shows as
// the program's output, and turns its exit into a RunResponse.
func (c *Children) RunProgram(cmd *exec.Cmd, what string) *pulumirpc.RunResponse {
	cmd.Stdout = os.Stdout
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("cannot start %s: %v", what, err)}
	}
	c.add(cmd)
	err := cmd.Wait()
	c.remove(cmd)
	if err == nil {
		return &pulumirpc.RunResponse{}
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if exit.ExitCode() == BailExitCode {
			return &pulumirpc.RunResponse{Bail: true}
		}
		return &pulumirpc.RunResponse{Error: fmt.Sprintf("Program exited with non-zero exit code: %d", exit.ExitCode())}
	}
	return &pulumirpc.RunResponse{Error: err.Error()}
}

// ConfigEnv is the program's configuration as the SDKs read it from the environment.
func ConfigEnv(req *pulumirpc.RunRequest) ([]string, error) {
	values := req.GetConfig()
	if values == nil {
		// A stack without config: the Python SDK iterates the decoded object and fails on JSON null.
		values = map[string]string{}
	}
	config, err := json.Marshal(values)
	if err != nil {
		return nil, err
	}
	keys := req.GetConfigSecretKeys()
	if keys == nil {
		keys = []string{}
	}
	secret, err := json.Marshal(keys)
	if err != nil {
		return nil, err
	}
	return []string{"PULUMI_CONFIG=" + string(config), "PULUMI_CONFIG_SECRET_KEYS=" + string(secret)}, nil
}

// ProgramDir is the folder of the program: from ProgramInfo when the engine sends it, else pwd.
func ProgramDir(info *pulumirpc.ProgramInfo, pwd string) string {
	if info != nil && info.GetProgramDirectory() != "" {
		return info.GetProgramDirectory()
	}
	return pwd
}

// Option is one runtime option of Pulumi.yaml (`runtime.options`).
func Option(info *pulumirpc.ProgramInfo, name string) (*structpb.Value, bool) {
	if info == nil || info.GetOptions() == nil {
		return nil, false
	}
	v, ok := info.GetOptions().GetFields()[name]
	return v, ok
}

// StreamWriter sends what is written to it through a gRPC stream, one message per write.
type StreamWriter struct {
	mu   sync.Mutex
	Send func([]byte) error
}

func (w *StreamWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.Send(append([]byte(nil), p...)); err != nil {
		return 0, err
	}
	return len(p), nil
}
