package chaos

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/kycpoller/kycpoller/internal/config"
	"github.com/kycpoller/kycpoller/internal/fake/advancefake"
	"github.com/kycpoller/kycpoller/internal/fake/zolozfake"
	"github.com/kycpoller/kycpoller/internal/localredis"
	"github.com/kycpoller/kycpoller/internal/sandbox"
	"github.com/kycpoller/kycpoller/internal/tasks"
)

// deliverySchedule is the webhook sink's retry schedule in the scenario:
// 1, 2, 4 and 8 s, then every 15 s, about four and a quarter minutes in all,
// so deliveries outlast the receiver's outage and its failure rate, and
// arrive soon after it ends.
var deliverySchedule = append([]time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second},
	slices.Repeat([]time.Duration{15 * time.Second}, 16)...)

// providerLatency is how long the fakes take to answer: about what the real
// APIs take, and what keeps polls in flight, so that a SIGKILL catches a
// worker holding tasks.
const providerLatency = 300 * time.Millisecond

// workerConfig is the worker configuration of the scenario. Polling is
// tightened so verifications final within FinishWithin are seen within
// seconds; the provider timeout is short so hanging calls end quickly;
// shutdown timeout and asynq's lease stay at their defaults.
func workerConfig() sandbox.ConfigParams {
	return sandbox.ConfigParams{
		InitialInterval:      time.Second,
		MaxInterval:          8 * time.Second,
		Multiplier:           2,
		Jitter:               0.2,
		MaxAge:               15 * time.Minute,
		ErrorInitialInterval: time.Second,
		ProviderTimeout:      2 * time.Second,
		RetrySchedule:        deliverySchedule,
		SinkTimeout:          5 * time.Second,
		Concurrency:          20,
		ShutdownTimeout:      25 * time.Second,
		LogLevel:             "info",
	}
}

// Run runs the scenario once and checks its outcome. The figures are filled
// in as far as the run got; the error is a *CheckError when the outcome
// checks failed.
func Run(ctx context.Context, opts Options) (fig Figures, err error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return fig, fmt.Errorf("chaos options: %w", err)
	}
	started := time.Now()
	defer func() { fig.Wall = time.Since(started) }()
	fig.Seed, fig.Verifications = opts.Seed, opts.Verifications
	rng := rand.New(rand.NewPCG(opts.Seed, 0x6368616f73))
	log := opts.Log

	dir, ownsDir := opts.Dir, false
	if dir == "" {
		if dir, err = os.MkdirTemp("", "kycpoller-chaos-"); err != nil {
			return fig, fmt.Errorf("chaos dir: %w", err)
		}
		ownsDir = true
	}
	defer func() {
		var ce *CheckError
		switch {
		case err == nil:
			if ownsDir {
				_ = os.RemoveAll(dir)
			}
		case errors.As(err, &ce):
			ce.Dir = dir
		default:
			err = fmt.Errorf("%w (worker logs and Redis files kept in %s)", err, dir)
		}
	}()

	sb, err := sandbox.Start(ctx, sandbox.Options{
		Dir:     dir,
		Redis:   localredis.Options{AppendOnly: true},
		Advance: advancefake.Options{AutoScript: true, Latency: providerLatency, Seed: rng.Uint64(), RandomFaults: advanceFaults(opts.ProviderFaults)},
		Zoloz:   zolozfake.Options{AutoScript: true, Latency: providerLatency, Seed: rng.Uint64(), RandomFaults: zolozFaults(opts.ProviderFaults)},
		Config:  workerConfig(),
	})
	if err != nil {
		return fig, fmt.Errorf("start sandbox: %w", err)
	}
	defer sb.Close()
	sb.Receiver.Seed(rng.Int64())
	sb.Receiver.SetFailRate(opts.ReceiverFailRate)

	fl, err := newFleet(sb, dir, opts, log)
	if err != nil {
		return fig, err
	}
	defer func() {
		if stopErr := fl.stop(); stopErr != nil && err == nil {
			err = &CheckError{Problems: []string{stopErr.Error()}}
		}
	}()
	for i := range opts.Workers {
		if err := fl.start(ctx, i); err != nil {
			return fig, err
		}
	}

	cfg, err := config.Load(sb.ConfigPath)
	if err != nil {
		return fig, fmt.Errorf("load worker config: %w", err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: cfg.Redis.Addr})
	defer rdb.Close()
	verifications := plan(rng, opts.Verifications, opts.FinishWithin)
	t0 := time.Now()
	if err := enqueue(ctx, tasks.NewEnqueuer(rdb, cfg), verifications); err != nil {
		return fig, err
	}
	log.Info("enqueued", zap.Int("verifications", len(verifications)), zap.Duration("took", time.Since(t0)))

	queues := []string{cfg.Worker.Queues.Poll.Name, cfg.Worker.Queues.Delivery.Name}
	ins := asynq.NewInspectorFromRedisClient(rdb)
	var orphans orphanWatch
	watchCtx, stopWatch := context.WithCancel(ctx)
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		orphans.watch(watchCtx, ins, queues)
	}()
	defer func() { stopWatch(); <-watched }()

	tl := &timeline{opts: opts, rng: rng, sb: sb, fleet: fl, log: log}
	if err := tl.run(ctx, t0); err != nil {
		return fig, err
	}
	fig.Kills, fig.RedisRestarts = tl.kills, tl.redisRestarts
	drained := waitDrained(ctx, opts, sb, fl, ins, queues, verifications, log)
	stopWatch()
	<-watched
	fig.Orphaned = orphans.count()

	var problems []string
	if stopErr := fl.stop(); stopErr != nil {
		problems = append(problems, stopErr.Error())
	}
	fig.Crashes = fl.Crashes()
	if fig.Crashes > 0 {
		problems = append(problems, fmt.Sprintf("%d worker exit(s) nobody caused: see worker-*.log", fig.Crashes))
	}
	if drained != nil {
		problems = append(problems, drained.Error())
	}
	archived, listErr := archivedTasks(ins, queues)
	if listErr != nil {
		problems = append(problems, listErr.Error())
	}
	fig.Archived = len(archived)
	problems = append(problems, archived...)

	fig.ProviderCalls = sb.Advance.TotalCalls() + sb.Zoloz.TotalCalls()
	for _, p := range verifications {
		if p.Ref.Provider == "zoloz" {
			fig.CallsAfterFinal += sb.Zoloz.CallsAfterFinal(p.Ref.ID)
		} else {
			fig.CallsAfterFinal += sb.Advance.CallsAfterFinal(p.Ref.ID)
		}
	}
	fig.Faults = map[string]int{}
	for k, n := range sb.Advance.FaultsInjected() {
		fig.Faults[string(k)] += n
	}
	for k, n := range sb.Zoloz.FaultsInjected() {
		fig.Faults[string(k)] += n
	}
	rf := sb.Receiver.Failures()
	fig.ReceiverRequests, fig.ReceiverDown, fig.ReceiverRandom = sb.Receiver.Requests(), rf.Down, rf.Random
	problems = append(problems, check(verifications, sb.Receiver.ByVerification(), fakeFinal(sb), &fig)...)
	fig.Wall = time.Since(started)
	log.Info("run done", zap.Stringer("figures", fig), zap.Int("problems", len(problems)))
	if len(problems) > 0 {
		return fig, &CheckError{Problems: problems}
	}
	return fig, nil
}

// newFleet writes one configuration file per worker, differing only in
// the HTTP address.
func newFleet(sb *sandbox.Sandbox, dir string, opts Options, log *zap.Logger) (*fleet, error) {
	fl := &fleet{bin: opts.WorkerBin, dir: dir, log: log, procs: make([]*worker, opts.Workers)}
	for i := range opts.Workers {
		if i == 0 {
			fl.configs, fl.addrs = append(fl.configs, sb.ConfigPath), append(fl.addrs, sb.Params.HTTPAddr)
			continue
		}
		addr, err := sandbox.FreeAddr()
		if err != nil {
			return nil, err
		}
		p := sb.Params
		p.HTTPAddr = addr
		path := filepath.Join(dir, fmt.Sprintf("worker-%d.yaml", i))
		if err := p.WriteFile(path); err != nil {
			return nil, err
		}
		fl.configs, fl.addrs = append(fl.configs, path), append(fl.addrs, addr)
	}
	return fl, nil
}

func enqueue(ctx context.Context, enq *tasks.Enqueuer, verifications []planned) error {
	for _, p := range verifications {
		out, err := enq.Enqueue(ctx, tasks.Request{Ref: p.Ref})
		if err != nil {
			return fmt.Errorf("enqueue %s: %w", p.Key(), err)
		}
		if out != tasks.Queued {
			return fmt.Errorf("enqueue %s: %s, want queued", p.Key(), out)
		}
	}
	return nil
}

// fakeFinal asks the fake that owns a verification when it first answered
// it with a final result.
func fakeFinal(sb *sandbox.Sandbox) finalAt {
	return func(p planned) (time.Time, bool) {
		if p.Ref.Provider == "zoloz" {
			return sb.Zoloz.FinalAt(p.Ref.ID)
		}
		return sb.Advance.FinalAt(p.Ref.ID)
	}
}

// advanceFaults and zolozFaults turn the rates into the fakes' random
// faults; timeouts hang until the worker's provider timeout ends the call.
func advanceFaults(r FaultRates) []advancefake.RandomFault {
	g := r.Garbage / 3
	return []advancefake.RandomFault{
		{Fault: advancefake.Fault{Kind: advancefake.HTTP500}, Rate: r.HTTP500},
		{Fault: advancefake.Fault{Kind: advancefake.Timeout}, Rate: r.Timeout},
		{Fault: advancefake.Fault{Kind: advancefake.Garbage}, Rate: g},
		{Fault: advancefake.Fault{Kind: advancefake.HTML}, Rate: g},
		{Fault: advancefake.Fault{Kind: advancefake.WrongContentType}, Rate: g},
	}
}

func zolozFaults(r FaultRates) []zolozfake.RandomFault {
	g := r.Garbage / 3
	return []zolozfake.RandomFault{
		{Fault: zolozfake.Fault{Kind: zolozfake.HTTP500}, Rate: r.HTTP500},
		{Fault: zolozfake.Fault{Kind: zolozfake.Timeout}, Rate: r.Timeout},
		{Fault: zolozfake.Fault{Kind: zolozfake.Garbage}, Rate: g},
		{Fault: zolozfake.Fault{Kind: zolozfake.HTML}, Rate: g},
		{Fault: zolozfake.Fault{Kind: zolozfake.WrongContentType}, Rate: g},
	}
}
