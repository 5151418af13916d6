// pulumi-language-python: trailwatch's stand-in Python language host for the real Pulumi CLI
// (the real one's module is not served by the Go module proxy here; see ../../langhost).
//
// Run executes the program with `pulumi-language-python-exec` (installed next to this binary)
// under the interpreter that sdk/v3's python/toolchain picks from the project's
// `runtime.options` (virtualenv, toolchain, or a uv.lock/poetry.lock found upwards), with the
// stack config in PULUMI_CONFIG. RunPlugin starts a plugin such as a policy pack with
// `<python> <pack dir> <args>`, defaulting the virtualenv to `venv` as plugins require.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"github.com/pulumi/pulumi/sdk/v3/python/toolchain"

	"trailwatch.local/tools/cli/langhost"
)

type host struct {
	langhost.Base
	exec string
}

func main() {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	execScript := filepath.Join(filepath.Dir(self), "pulumi-language-python-exec")
	langhost.Serve(func(engine string) pulumirpc.LanguageRuntimeServer {
		return &host{Base: langhost.Base{EngineAddress: engine}, exec: execScript}
	})
}

// toolchainFor is the toolchain sdk/v3's python/toolchain picks from the program's (or the
// plugin's) runtime options, as the real host does; a plugin without a virtualenv gets `venv`.
func toolchainFor(info *pulumirpc.ProgramInfo, isPlugin bool) (toolchain.Toolchain, error) {
	opts := toolchain.PythonOptions{Root: info.RootDirectory, ProgramDir: info.ProgramDirectory}
	raw := info.GetOptions().AsMap()
	if v, ok := raw["virtualenv"]; ok {
		s, isString := v.(string)
		if !isString {
			return nil, errors.New("virtualenv option must be a string")
		}
		opts.Virtualenv = s
	}
	if v, ok := raw["toolchain"]; ok {
		switch v {
		case "pip":
			opts.Toolchain = toolchain.Pip
		case "uv":
			opts.Toolchain = toolchain.Uv
		case "poetry":
			opts.Toolchain = toolchain.Poetry
		default:
			return nil, fmt.Errorf("unsupported toolchain option: %v", v)
		}
	}
	if isPlugin && opts.Toolchain == toolchain.Pip && opts.Virtualenv == "" {
		opts.Virtualenv = "venv" // plugins never run on the ambient interpreter
	}
	return toolchain.ResolveToolchain(opts)
}

// GetRequiredPackages lists the resource plugins that installed Pulumi packages declare in
// their pulumi-plugin.json (pulumi_aws: aws at its version).
func (h *host) GetRequiredPackages(ctx context.Context, req *pulumirpc.GetRequiredPackagesRequest,
) (*pulumirpc.GetRequiredPackagesResponse, error) {
	tc, err := toolchainFor(req.Info, false)
	if err != nil {
		return nil, err
	}
	venv, err := tc.VirtualEnvPath(ctx)
	if err != nil || venv == "" {
		return &pulumirpc.GetRequiredPackagesResponse{}, nil //nolint:nilerr // no venv: the engine loads on demand
	}
	files, _ := filepath.Glob(filepath.Join(venv, "lib", "python*", "site-packages", "*", "pulumi-plugin.json"))
	var packages []*pulumirpc.PackageDependency
	for _, file := range files {
		p, err := plugin.LoadPulumiPluginJSON(file)
		if err != nil || !p.Resource || p.Name == "" || p.Version == "" {
			continue
		}
		v := p.Version
		if !strings.HasPrefix(v, "v") {
			v = "v" + v
		}
		packages = append(packages, &pulumirpc.PackageDependency{
			Name: p.Name, Version: v, Kind: "resource", Server: p.Server,
		})
	}
	return &pulumirpc.GetRequiredPackagesResponse{Packages: packages}, nil
}

func (h *host) Run(ctx context.Context, req *pulumirpc.RunRequest) (*pulumirpc.RunResponse, error) {
	tc, err := toolchainFor(req.Info, false)
	if err != nil {
		return nil, err
	}
	if err := tc.ValidateVenv(ctx); err != nil {
		return nil, err
	}
	args := []string{h.exec}
	for _, kv := range [][2]string{
		{"monitor", req.GetMonitorAddress()}, {"engine", h.EngineAddress}, {"project", req.GetProject()},
		{"root_directory", req.GetInfo().GetRootDirectory()}, {"stack", req.GetStack()}, {"pwd", req.GetPwd()},
		{"dry_run", strconv.FormatBool(req.GetDryRun())}, {"parallel", strconv.Itoa(int(req.GetParallel()))},
		{"organization", req.GetOrganization()},
	} {
		if kv[1] != "" {
			args = append(args, "--"+kv[0], kv[1])
		}
	}
	args = append(args, req.GetInfo().GetEntryPoint())
	args = append(args, req.GetArgs()...)
	cmd, err := tc.Command(ctx, args...)
	if err != nil {
		return nil, err
	}
	config, err := langhost.ConfigEnv(req)
	if err != nil {
		return nil, err
	}
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	cmd.Env = append(env, config...)
	return langhost.RunProgram(cmd), nil
}

// RunPlugin starts a Python plugin (a policy pack) from its folder's __main__.py.
func (h *host) RunPlugin(req *pulumirpc.RunPluginRequest, server pulumirpc.LanguageRuntime_RunPluginServer) error {
	tc, err := toolchainFor(req.Info, true)
	if err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(req.Info.ProgramDirectory, "__main__.py")); err != nil {
		return fmt.Errorf("plugin %s has no __main__.py: %w", req.Info.ProgramDirectory, err)
	}
	cmd, err := tc.Command(server.Context(), append([]string{req.Info.ProgramDirectory}, req.Args...)...)
	if err != nil {
		return err
	}
	return langhost.RunStreaming(cmd, req, server)
}
