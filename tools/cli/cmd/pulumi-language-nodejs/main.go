// pulumi-language-nodejs: trailwatch's stand-in Node.js language host for the real Pulumi CLI
// (the real one's module is not served by the Go module proxy here; see ../../langhost).
//
// Run executes the program with the program's own @pulumi/pulumi (`node
// node_modules/@pulumi/pulumi/cmd/run ...`, which compiles TypeScript with its ts-node), with
// the stack config in PULUMI_CONFIG. It serves Python-pack previews of TypeScript stacks; it
// does not run Node.js plugins or policy packs.
package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"

	"trailwatch.local/tools/cli/langhost"
)

type host struct {
	langhost.Base
}

func main() {
	langhost.Serve(func(engine string) pulumirpc.LanguageRuntimeServer {
		return &host{Base: langhost.Base{EngineAddress: engine}}
	})
}

// GetRequiredPackages: none declared; the engine loads each provider plugin when the program
// first registers a resource of its package (with the version the SDK sends).
func (h *host) GetRequiredPackages(context.Context, *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	return &pulumirpc.GetRequiredPackagesResponse{}, nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	programDir := req.GetInfo().GetProgramDirectory()
	runPath := filepath.Join(programDir, "node_modules", "@pulumi", "pulumi", "cmd", "run")
	if _, err := os.Stat(runPath); err != nil {
		return &pulumirpc.RunResponse{Error: fmt.Sprintf(
			"@pulumi/pulumi is not installed in %s: run npm install there", programDir)}, nil
	}
	args := []string{runPath}
	for _, kv := range [][2]string{
		{"monitor", req.GetMonitorAddress()}, {"engine", h.EngineAddress},
		{"organization", req.GetOrganization()}, {"project", req.GetProject()},
		{"root-directory", req.GetInfo().GetRootDirectory()}, {"stack", req.GetStack()}, {"pwd", programDir},
	} {
		if kv[1] != "" {
			args = append(args, "--"+kv[0], kv[1])
		}
	}
	if req.GetDryRun() {
		args = append(args, "--dry-run")
	}
	args = append(args, "--parallel", strconv.Itoa(int(req.GetParallel())), req.GetInfo().GetEntryPoint())
	args = append(args, req.GetArgs()...)

	config, err := langhost.ConfigEnv(req)
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = programDir
	cmd.Env = append(os.Environ(), config...)
	return langhost.RunProgram(cmd), nil
}
