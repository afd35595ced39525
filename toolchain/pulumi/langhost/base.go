package langhost

import (
	"context"
	"sync"

	pbempty "google.golang.org/protobuf/types/known/emptypb"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
)

// Base is what every virtstack language host shares: the engine address (from the command line,
// replaced by Handshake), the program processes Cancel interrupts, and the version it reports.
// A host embeds it and adds the language-specific RPCs.
type Base struct {
	pulumirpc.UnimplementedLanguageRuntimeServer

	Children Children
	version  string

	mu            sync.Mutex
	engineAddress string
}

// NewBase starts from the engine address the engine passed on the command line.
func NewBase(version string, args []string) Base {
	return Base{version: version, engineAddress: EngineAddress(args)}
}

// Engine is the engine's address as last told, for the program's --engine flag.
func (b *Base) Engine() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.engineAddress
}

func (b *Base) Handshake(_ context.Context, req *pulumirpc.LanguageHandshakeRequest,
) (*pulumirpc.LanguageHandshakeResponse, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if req.GetEngineAddress() != "" {
		b.engineAddress = req.GetEngineAddress()
	}
	return &pulumirpc.LanguageHandshakeResponse{}, nil
}

func (b *Base) GetPluginInfo(context.Context, *pbempty.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: b.version}, nil
}

func (b *Base) Cancel(context.Context, *pbempty.Empty) (*pbempty.Empty, error) {
	b.Children.Interrupt()
	return &pbempty.Empty{}, nil
}

// Packages answers GetRequiredPackages from the plugins a host found for GetRequiredPlugins: the engine
// asks both ways, and the answers must agree.
func Packages(plugins []*pulumirpc.PluginDependency) *pulumirpc.GetRequiredPackagesResponse {
	packages := make([]*pulumirpc.PackageDependency, 0, len(plugins))
	for _, p := range plugins {
		packages = append(packages, &pulumirpc.PackageDependency{Name: p.Name, Kind: p.Kind, Version: p.Version, Server: p.Server})
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: packages}
}
