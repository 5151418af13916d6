// Package langhost holds what trailwatch's two stand-in language hosts share: serving the
// LanguageRuntime gRPC service the way the CLI expects of a language plugin (port on the first
// stdout line, the engine address as the last argument), and running a child process whose
// output streams back to the engine for RunPlugin (how the CLI starts a policy pack).
//
// Why stand-ins: the Go module proxy reachable here does not serve the modules
// github.com/pulumi/pulumi/sdk/{python,nodejs}/cmd/pulumi-language-*/v3 (it answers 403 for
// every version), so the real hosts cannot be built. These hosts do the same job on the same
// SDK packages (sdk/v3's python/toolchain decides the interpreter, exactly as the real Python
// host does); see docs/offline-engine.md, "Against the real CLI".
package langhost

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/common/util/rpcutil"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
)

// Serve parses the flags the CLI may pass (all ignored but the positional engine address), starts
// the gRPC server for the host made by newHost and prints its port. It returns when serving stops.
func Serve(newHost func(engineAddress string) pulumirpc.LanguageRuntimeServer) {
	flag.String("tracing", "", "ignored")
	flag.String("root", "", "ignored")
	flag.String("virtualenv", "", "ignored")
	flag.String("typechecker", "", "ignored")
	flag.String("toolchain", "", "ignored")
	flag.Parse()
	engineAddress := ""
	if args := flag.Args(); len(args) > 0 {
		engineAddress = args[len(args)-1]
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	cancel := make(chan bool)
	go func() {
		<-ctx.Done()
		stop()
		close(cancel)
	}()
	if engineAddress != "" {
		// Exit when the engine goes away, as every plugin must.
		if err := rpcutil.Healthcheck(ctx, engineAddress, 5*time.Minute, stop); err != nil {
			fmt.Fprintf(os.Stderr, "language host: health check: %v\n", err)
			os.Exit(1)
		}
	}
	handle, err := rpcutil.ServeWithOptions(rpcutil.ServeOptions{
		Cancel: cancel,
		Init: func(srv *grpc.Server) error {
			pulumirpc.RegisterLanguageRuntimeServer(srv, newHost(engineAddress))
			return nil
		},
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "language host: %v\n", err)
		os.Exit(1)
	}
	fmt.Printf("%d\n", handle.Port)
	if err := <-handle.Done; err != nil {
		fmt.Fprintf(os.Stderr, "language host: %v\n", err)
		os.Exit(1)
	}
}

// RunStreaming runs cmd (a plugin such as a policy pack) with its stdout and stderr sent back
// over the RunPlugin stream, then sends its exit code.
func RunStreaming(cmd *exec.Cmd, req *pulumirpc.RunPluginRequest,
	server pulumirpc.LanguageRuntime_RunPluginServer,
) error {
	closer, stdout, stderr, err := rpcutil.MakeRunPluginStreams(server, false)
	if err != nil {
		return err
	}
	defer closer.Close()
	cmd.Dir = req.Pwd
	cmd.Env = append(cmd.Env, req.Env...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok {
				return server.Send(&pulumirpc.RunPluginResponse{
					Output: &pulumirpc.RunPluginResponse_Exitcode{Exitcode: int32(ws.ExitStatus())}, //nolint:gosec
				})
			}
		}
		return fmt.Errorf("could not run plugin %s: %w", cmd.Path, err)
	}
	return closer.Close()
}

// ExitMessage turns a program's failed run into the RunResponse text the CLI shows.
func ExitMessage(err error) string {
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		return fmt.Sprintf("program exited with non-zero exit code: %d", exitErr.ExitCode())
	}
	return fmt.Sprintf("problem executing program (could not run language executor): %v", err)
}

// Env returns the process environment plus the extra entries.
func Env(extra ...string) []string {
	return append(os.Environ(), extra...)
}
