package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/softdelete-go/softdelete"
)

// The CLI's JSON output uses one style in every command: snake_case keys,
// times in RFC 3339 (UTC), durations in milliseconds (keys ending in _ms).

type operationJSON struct {
	ID       int64            `json:"id"`
	Kind     string           `json:"kind"`
	Stamp    *time.Time       `json:"stamp,omitempty"`
	Table    string           `json:"table"`
	Key      string           `json:"key,omitempty"`
	Actor    string           `json:"actor"`
	Reason   string           `json:"reason"`
	At       time.Time        `json:"at"`
	Rows     int64            `json:"rows"`
	Counts   map[string]int64 `json:"counts"`
	Nulled   map[string]int64 `json:"nulled,omitempty"`
	Outcome  string           `json:"outcome,omitempty"`
	TargetOp int64            `json:"target_op,omitempty"`
	UndoneBy int64            `json:"undone_by,omitempty"`
}

func opJSON(op *softdelete.Operation) operationJSON {
	counts := op.Counts
	if counts == nil {
		counts = map[string]int64{}
	}
	return operationJSON{ID: op.ID, Kind: op.Kind, Stamp: op.Stamp, Table: op.Table, Key: op.Key, Actor: op.Actor,
		Reason: op.Reason, At: op.At.UTC(), Rows: op.Rows, Counts: counts, Nulled: op.Nulled, Outcome: op.Outcome,
		TargetOp: op.TargetOp, UndoneBy: op.UndoneBy}
}

func opsJSON(ops []softdelete.Operation) []operationJSON {
	out := make([]operationJSON, len(ops))
	for i := range ops {
		out[i] = opJSON(&ops[i])
	}
	return out
}

type purgeJSON struct {
	DryRun         bool              `json:"dry_run"`
	Rows           int64             `json:"rows"`
	Counts         map[string]int64  `json:"counts"`
	Blocked        map[string]int64  `json:"blocked"`
	Skipped        map[string]string `json:"skipped"`
	Batches        int               `json:"batches"`
	LongestBatchMS float64           `json:"longest_batch_ms"`
	ElapsedMS      float64           `json:"elapsed_ms"`
}

func purgeResultJSON(r *softdelete.PurgeResult) purgeJSON {
	nz := func(m map[string]int64) map[string]int64 {
		if m == nil {
			return map[string]int64{}
		}
		return m
	}
	if r.Skipped == nil {
		r.Skipped = map[string]string{}
	}
	return purgeJSON{DryRun: r.DryRun, Rows: sum(r.Counts), Counts: nz(r.Counts), Blocked: nz(r.Blocked), Skipped: r.Skipped, Batches: r.Batches,
		LongestBatchMS: ms(r.LongestBatch), ElapsedMS: ms(r.Elapsed)}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// jsonKey turns a primary key read from the database into JSON-friendly
// values (text instead of bytes).
func jsonKey(k []any) []any {
	out := make([]any, len(k))
	for i, v := range k {
		if b, ok := v.([]byte); ok {
			v = string(b)
		}
		out[i] = v
	}
	return out
}

// keyString prints a key: the value for a one-column key, (a,b) for a
// composite one.
func keyString(k []any) string {
	if len(k) == 1 {
		return fmt.Sprint(k[0])
	}
	parts := make([]string, len(k))
	for i, v := range k {
		parts[i] = fmt.Sprint(v)
	}
	return "(" + strings.Join(parts, ",") + ")"
}
