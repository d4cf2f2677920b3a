package softdelete

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"
)

// querier is what *sql.DB, *sql.Conn and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// StatementHook sees every statement softdelete sends, just before it is
// sent. Returning an error fails the statement (and so the operation, which
// rolls back) without sending it. It is the seam for tracing (slog,
// OpenTelemetry), statement counting and fault injection in tests.
type StatementHook func(ctx context.Context, query string, args []any) error

// executor is the single seam all SQL goes through.
type executor struct {
	db *DB
	q  querier
	tx *sql.Tx // non-nil inside a transaction (ours or the caller's)
}

func (ex *executor) prepareArgs(ctx context.Context, query string, args []any) error {
	if ex.db.convertTimes {
		for i, a := range args {
			switch v := a.(type) {
			case time.Time:
				args[i] = ex.db.dialect.TimeArg(v)
			case *time.Time:
				if v != nil {
					args[i] = ex.db.dialect.TimeArg(*v)
				}
			}
		}
	}
	if h := ex.db.hook; h != nil {
		if err := h(ctx, query, args); err != nil {
			return err
		}
	}
	return nil
}

func (ex *executor) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if err := ex.prepareArgs(ctx, query, args); err != nil {
		return nil, err
	}
	res, err := ex.q.ExecContext(ctx, query, args...)
	if err != nil {
		return nil, ex.db.translate(err)
	}
	return res, nil
}

// execN runs a statement and returns the affected row count.
func (ex *executor) execN(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := ex.exec(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, ex.db.translate(err)
	}
	return n, nil
}

func (ex *executor) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if err := ex.prepareArgs(ctx, query, args); err != nil {
		return nil, err
	}
	rows, err := ex.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, ex.db.translate(err)
	}
	return rows, nil
}

// queryRow scans the first row into dest; no row is ErrNotFound.
func (ex *executor) queryRow(ctx context.Context, query string, args []any, dest ...any) error {
	rows, err := ex.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return ex.db.translate(err)
		}
		return ErrNotFound
	}
	if err := rows.Scan(dest...); err != nil {
		return ex.db.translate(err)
	}
	return ex.db.translate(rows.Close())
}

// queryInt64 runs a query returning one integer (COUNT and the like).
func (ex *executor) queryInt64(ctx context.Context, query string, args ...any) (int64, error) {
	var n int64
	err := ex.queryRow(ctx, query, args, &n)
	return n, err
}

// inTx runs fn in a transaction: the caller's, if the executor has one,
// else a new one that is committed when fn returns nil and rolled back
// otherwise.
func (ex *executor) inTx(ctx context.Context, fn func(ex *executor) error) (err error) {
	if ex.tx != nil {
		// Inside the caller's transaction: a savepoint keeps a failed
		// operation from leaving half its changes there.
		name := "softdelete_sp" + strconv.FormatInt(ex.db.savepoints.Add(1), 10)
		if _, err := ex.exec(ctx, "SAVEPOINT "+name); err != nil {
			return err
		}
		if err := fn(ex); err != nil {
			if _, rerr := ex.exec(context.WithoutCancel(ctx), "ROLLBACK TO SAVEPOINT "+name); rerr != nil {
				return fmt.Errorf("%w (and rolling back to the savepoint failed: %v; roll the transaction back)", err, rerr)
			}
			return err
		}
		_, err := ex.exec(ctx, "RELEASE SAVEPOINT "+name)
		return err
	}
	db, ok := ex.q.(*sql.DB)
	if !ok {
		return fmt.Errorf("softdelete: internal error: executor without *sql.DB")
	}
	if err := ex.db.checkOpen(); err != nil {
		return err
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return ex.db.translate(err)
	}
	inner := &executor{db: ex.db, q: tx, tx: tx}
	defer func() {
		if p := recover(); p != nil {
			_ = tx.Rollback()
			panic(p)
		}
		if err != nil {
			_ = tx.Rollback()
			return
		}
		if cerr := tx.Commit(); cerr != nil {
			err = ex.db.translate(cerr)
		}
	}()
	return fn(inner)
}
