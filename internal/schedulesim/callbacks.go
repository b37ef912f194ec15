package schedulesim

import (
	"errors"
	"fmt"
	"time"
)

// Callbacks model a provider's completion callbacks, each of which nudges
// the verification's poll to run now (tasks.Controller.Nudge): a scheduled
// or retrying poll becomes pending, a pending one is left alone.
type Callbacks struct {
	// DelayMin and DelayMax bound the uniform delay between the result
	// turning final and the callback reaching the worker.
	DelayMin, DelayMax time.Duration
	// LossRate is the share of callbacks that never arrive (0 to 1).
	LossRate float64
}

func (c Callbacks) validate() error {
	if c.DelayMin < 0 || c.DelayMax < c.DelayMin {
		return fmt.Errorf("callback delays must satisfy 0 <= min <= max (got %v, %v)", c.DelayMin, c.DelayMax)
	}
	if !(c.LossRate >= 0 && c.LossRate <= 1) {
		return errors.New("callback loss rate must be within [0, 1]")
	}
	return nil
}

// DefaultCallbacks is ADVANCE.AI's callback as modelled by default: it
// reaches the worker within a second of the result turning final, and none
// is lost.
func DefaultCallbacks() Callbacks {
	return Callbacks{DelayMin: 0, DelayMax: time.Second}
}
