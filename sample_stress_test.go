package softdelete

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/softdelete-go/softdelete/internal/sqlscript"
)

// TestSampleDBStress hunts for broken promises on schemas we did not
// design, under concurrency: each public sample database (Chinook on the
// three dialects, Pagila on PostgreSQL, Sakila on MariaDB) is loaded with
// some of its foreign keys' ON DELETE rules changed the way a DBA would
// (CASCADE down the catalogue, SET NULL on optional references; the others
// stay RESTRICT/NO ACTION), adopted, and then goroutines run random
// operations through the public API (Delete by key with real cascades,
// Restore, RestoreWithParents, Undo of a random trashed operation, bulk
// Delete and Restore by Where, PlanDelete, Purge with a cut-off in the
// past) while "another tool" writes plain SQL on its own connection
// (inserting children under alive parents it locks FOR SHARE, removing rows
// for good, changing primary keys, re-pointing references). Afterwards the
// invariants are checked in SQL:
//
//   - no live row references a hidden parent, through any foreign key;
//   - no two live rows share an alive-only unique key;
//   - every hidden row is hidden by exactly one delete operation that was
//     not undone, and an undone one hides nothing;
//   - every row removed for good by something other than the tool (the
//     purge) was soft-deleted before the latest purge cut-off (triggers
//     record each removed row with its deleted_at and who removed it);
//   - row counts are conserved: rows at the end = rows at the start + rows
//     the tool inserted - rows removed;
//   - no raw driver error escapes a library call;
//   - finally every operation still in the trash is undone, newest first:
//     each brings back exactly its rows (less those still under another
//     hidden parent), a refused one changes nothing, and the SET NULL
//     references it cleared come back.
//
// Default: 6 goroutines x 60 operations and one tool goroutine (60) per sample;
// SOFTDELETE_ADVERSARIAL=GxN or full (16 x 200) runs larger.
func TestSampleDBStress(t *testing.T) {
	for _, c := range sqlscript.Samples {
		for _, variant := range []string{"dba", "override"} {
			t.Run(c.Name+"/"+c.Dialect+"/"+variant, func(t *testing.T) {
				t.Parallel()
				smpStress(t, c.Name, c.Dialect, variant)
			})
		}
	}
}

// smpOverrides are the rules the "override" variant's first handle follows
// on the script's own schema (RESTRICT / NO ACTION keys), as in
// TestSampleDBAcceptance; its second handle follows the schema. Undo and
// restore follow the rules the delete followed, whichever handle runs them.
func smpOverrides(sample, dialect string) []Option {
	n := func(s string) string { return smpName(sample, dialect, s) }
	if sample == "chinook" {
		return []Option{
			WithRelationRule(n("Album"), n("Artist"), Cascade),
			WithRelationRule(n("Track"), n("Album"), Cascade),
			WithRelationRule(n("PlaylistTrack"), n("Track"), Cascade),
			WithRelationRule(n("PlaylistTrack"), n("Playlist"), Cascade),
			WithRelationRule(n("Track"), n("Genre"), SetNull),
			WithRelationRule(n("InvoiceLine"), n("Invoice"), Cascade),
		}
	}
	return []Option{
		WithRelationRule("film_actor", "film", Cascade),
		WithRelationRule("film_category", "film", Cascade),
		WithRelationRule("rental", "customer", Cascade),
	}
}

type smpRule struct{ table, col, parent, rule string }

// smpRules are the ON DELETE rules the test's variant of each sample
// declares instead of the script's (names as in the MariaDB/SQLite
// Chinook; smpName gives PostgreSQL's).
var smpRules = map[string][]smpRule{
	"chinook": {
		{"Album", "ArtistId", "Artist", "CASCADE"},
		{"Track", "AlbumId", "Album", "CASCADE"},
		{"Track", "GenreId", "Genre", "SET NULL"},
		{"PlaylistTrack", "PlaylistId", "Playlist", "CASCADE"},
		{"PlaylistTrack", "TrackId", "Track", "CASCADE"},
		{"Invoice", "CustomerId", "Customer", "CASCADE"},
		{"InvoiceLine", "InvoiceId", "Invoice", "CASCADE"},
		{"Customer", "SupportRepId", "Employee", "SET NULL"},
		{"Employee", "ReportsTo", "Employee", "SET NULL"},
		// Track.MediaTypeId and InvoiceLine.TrackId stay NO ACTION.
	},
	"sakila": {
		{"film_actor", "film_id", "film", "CASCADE"},
		{"film_actor", "actor_id", "actor", "CASCADE"},
		{"film_category", "film_id", "film", "CASCADE"},
		{"rental", "customer_id", "customer", "CASCADE"},
		{"payment", "customer_id", "customer", "CASCADE"},
		{"address", "city_id", "city", "CASCADE"},
		// payment.rental_id is SET NULL already; the rest RESTRICT.
	},
}

func init() { smpRules["pagila"] = smpRules["sakila"] }

// smpName is Chinook's PostgreSQL spelling of a name (ArtistId -> artist_id).
func smpName(sample, dialect, name string) string {
	if sample != "chinook" || dialect != "postgres" {
		return name
	}
	var b strings.Builder
	for i, r := range name {
		if r >= 'A' && r <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

var smpStmtTable = regexp.MustCompile("(?is)^\\s*(?:CREATE\\s+TABLE(?:\\s+IF\\s+NOT\\s+EXISTS)?|ALTER\\s+TABLE(?:\\s+ONLY)?)\\s+(?:public\\.)?[\\[`\"]?(\\w+)")

// smpLoad loads the test's variant of a sample database and returns its URL.
func smpLoad(t testing.TB, sample, dialect string) string {
	t.Helper()
	ctx := context.Background()
	u := testURL(t, dialect)
	db, err := Open(u)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	file, err := sqlscript.SampleFile(sample, dialect)
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	type rx struct {
		table string
		re    *regexp.Regexp
		rule  string
		hits  int
	}
	var rxs []*rx
	for _, r := range smpRules[sample] {
		col, parent := smpName(sample, dialect, r.col), smpName(sample, dialect, r.parent)
		re := regexp.MustCompile("(?is)(FOREIGN\\s+KEY\\s*\\(\\s*[\\[`\"]?" + col + "[\\]`\"]?\\s*\\)\\s*REFERENCES\\s+(?:public\\.)?[\\[`\"]?" +
			parent + "[\\]`\"]?\\s*\\([^)]*\\))((?:\\s+ON\\s+UPDATE\\s+(?:NO\\s+ACTION|CASCADE|RESTRICT))?)\\s+ON\\s+DELETE\\s+(?:NO\\s+ACTION|RESTRICT)")
		rxs = append(rxs, &rx{table: smpName(sample, dialect, r.table), re: re, rule: r.rule})
	}
	conn, err := db.SQL().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, s := range sqlscript.Split(dialect, string(src)) {
		if m := smpStmtTable.FindStringSubmatch(s); m != nil {
			for _, r := range rxs {
				if strings.EqualFold(m[1], r.table) && r.re.MatchString(s) {
					s = r.re.ReplaceAllString(s, "${1}${2} ON DELETE "+r.rule)
					r.hits++
				}
			}
		}
		if _, err := conn.ExecContext(ctx, s); err != nil {
			t.Fatalf("loading %s on %s: %v\n%.300s", sample, dialect, err, s)
		}
	}
	for _, r := range rxs {
		if r.hits != 1 {
			t.Fatalf("rule %s %v: %d foreign keys rewritten, want 1", r.table, r.re, r.hits)
		}
	}
	return u
}

// smpTable is what the run knows of one soft-deletable table.
type smpTable struct {
	ti   *TableInfo
	name string
	pk   []string
	mu   sync.Mutex
	keys [][]int64 // keys known to have existed (seeded or inserted)
	max  int64     // largest single-column key handed out
	bulk func(db *DB) (smpBulker, error)
}

func (st *smpTable) pick(rng *rand.Rand) []int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.keys) == 0 {
		return make([]int64, len(st.pk))
	}
	return st.keys[rng.Intn(len(st.keys))]
}

func (st *smpTable) add(k []int64) {
	st.mu.Lock()
	st.keys = append(st.keys, k)
	if len(k) == 1 && k[0] > st.max {
		st.max = k[0]
	}
	st.mu.Unlock()
}

func (st *smpTable) nextKey(rng *rand.Rand) int64 {
	st.mu.Lock()
	defer st.mu.Unlock()
	return st.max + 1 + int64(rng.Intn(5))
}

// smpBulker is a Manager's bulk verbs for one table.
type smpBulker interface {
	del(ctx context.Context, where string, args ...any) (int64, error)
	restore(ctx context.Context, where string, args ...any) (int64, error)
}

type smpMgr[T any] struct{ m *Manager[T] }

func (b smpMgr[T]) del(ctx context.Context, where string, args ...any) (int64, error) {
	return b.m.Where(where, args...).Delete(ctx)
}

func (b smpMgr[T]) restore(ctx context.Context, where string, args ...any) (int64, error) {
	return b.m.OnlyDeleted().Where(where, args...).Restore(ctx)
}

func smpBulk[T any](db *DB, table string) (smpBulker, error) {
	m, err := NewManager[T](db, table)
	if err != nil {
		return nil, err
	}
	return smpMgr[T]{m}, nil
}

// Key-only row types, one per primary key column name of the samples: the
// bulk verbs need a Manager, a Manager a struct.
type (
	smpArtistC struct {
		ID int64 `db:"ArtistId,pk"`
	}
	smpAlbumC struct {
		ID int64 `db:"AlbumId,pk"`
	}
	smpTrackC struct {
		ID int64 `db:"TrackId,pk"`
	}
	smpGenreC struct {
		ID int64 `db:"GenreId,pk"`
	}
	smpPlaylistC struct {
		ID int64 `db:"PlaylistId,pk"`
	}
	smpInvoiceC struct {
		ID int64 `db:"InvoiceId,pk"`
	}
	smpCustomerC struct {
		ID int64 `db:"CustomerId,pk"`
	}
	smpArtistS struct {
		ID int64 `db:"artist_id,pk"`
	}
	smpAlbumS struct {
		ID int64 `db:"album_id,pk"`
	}
	smpTrackS struct {
		ID int64 `db:"track_id,pk"`
	}
	smpGenreS struct {
		ID int64 `db:"genre_id,pk"`
	}
	smpPlaylistS struct {
		ID int64 `db:"playlist_id,pk"`
	}
	smpInvoiceS struct {
		ID int64 `db:"invoice_id,pk"`
	}
	smpCustomerS struct {
		ID int64 `db:"customer_id,pk"`
	}
	smpFilm struct {
		ID int64 `db:"film_id,pk"`
	}
	smpActor struct {
		ID int64 `db:"actor_id,pk"`
	}
	smpRental struct {
		ID int64 `db:"rental_id,pk"`
	}
	smpInventory struct {
		ID int64 `db:"inventory_id,pk"`
	}
	smpPayment struct {
		ID int64 `db:"payment_id,pk"`
	}
	smpCity struct {
		ID int64 `db:"city_id,pk"`
	}
	smpAddress struct {
		ID int64 `db:"address_id,pk"`
	}
)

var smpBulkers = map[string]func(db *DB, table string) (smpBulker, error){
	"ArtistId": smpBulk[smpArtistC], "AlbumId": smpBulk[smpAlbumC], "TrackId": smpBulk[smpTrackC],
	"GenreId": smpBulk[smpGenreC], "PlaylistId": smpBulk[smpPlaylistC], "InvoiceId": smpBulk[smpInvoiceC],
	"CustomerId": smpBulk[smpCustomerC], "artist_id": smpBulk[smpArtistS], "album_id": smpBulk[smpAlbumS],
	"track_id": smpBulk[smpTrackS], "genre_id": smpBulk[smpGenreS], "playlist_id": smpBulk[smpPlaylistS],
	"invoice_id": smpBulk[smpInvoiceS], "customer_id": smpBulk[smpCustomerS], "film_id": smpBulk[smpFilm],
	"actor_id": smpBulk[smpActor], "rental_id": smpBulk[smpRental], "inventory_id": smpBulk[smpInventory],
	"payment_id": smpBulk[smpPayment], "city_id": smpBulk[smpCity], "address_id": smpBulk[smpAddress],
}

// smpRun is one sample's run.
type smpRun struct {
	t         *testing.T
	sample    string
	dialect   string
	db        *DB // checks and the tool
	handles   []*DB
	bulk      []map[string]smpBulker // per handle, per table
	tables    map[string]*smpTable
	names     []string // soft-deletable tables, sorted
	fks       []ForeignKeyInfo
	a         *advTally
	start     time.Time
	cutoffMu  sync.Mutex
	cutoff    time.Time // latest purge cut-off
	inserted  map[string]*atomic.Int64
	debugOnce atomic.Bool
}

func (r *smpRun) q(s string) string { return r.db.dialect.Quote(s) }

func (r *smpRun) ph(i int) string {
	if r.dialect == "postgres" {
		return "$" + strconv.Itoa(i)
	}
	return "?"
}

// keyPred is "pk1 = ? AND pk2 = ?" from placeholder n on (alias may be "").
func (r *smpRun) keyPred(st *smpTable, alias string, n int) string {
	var parts []string
	for i, c := range st.pk {
		col := r.q(c)
		if alias != "" {
			col = alias + "." + col
		}
		parts = append(parts, col+" = "+r.ph(n+i))
	}
	return strings.Join(parts, " AND ")
}

func smpKeyString(k []int64) string {
	s := make([]string, len(k))
	for i, v := range k {
		s[i] = strconv.FormatInt(v, 10)
	}
	return strings.Join(s, ",")
}

func smpArgs(k []int64) []any {
	out := make([]any, len(k))
	for i, v := range k {
		out[i] = v
	}
	return out
}

type smpSize struct{ goroutines, ops, toolOps int }

func smpConfig() smpSize {
	if advFull() {
		return smpSize{16, 200, 400}
	}
	if g, n, ok := advSize(); ok {
		return smpSize{g, n, g * n / 4}
	}
	return smpSize{6, 60, 60}
}

func smpStress(t *testing.T, sample, dialect, variant string) {
	ctx := context.Background()
	var u string
	if variant == "dba" {
		u = smpLoad(t, sample, dialect)
	} else {
		u = loadSample(t, sample, dialect)
	}
	db, err := Open(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m, err := db.Adopt(ctx, AdoptOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.ApplyMigration(ctx, m, false); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if err := db.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	r := &smpRun{t: t, sample: sample, dialect: dialect, db: db, tables: map[string]*smpTable{}, a: newTally(dialect),
		inserted: map[string]*atomic.Int64{}}
	s, err := db.Schema(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, ti := range s.Tables {
		if !ti.SoftDelete() || ti.PartOf != "" || len(ti.PrimaryKey) == 0 {
			continue
		}
		st := &smpTable{ti: ti, name: ti.Name, pk: ti.PrimaryKey}
		if len(st.pk) == 1 {
			st.bulk = func(db *DB) (smpBulker, error) {
				if f := smpBulkers[st.pk[0]]; f != nil {
					return f(db, st.name)
				}
				return nil, nil
			}
		}
		r.tables[ti.Name] = st
		r.names = append(r.names, ti.Name)
		r.inserted[ti.Name] = &atomic.Int64{}
		for _, fk := range ti.ForeignKeys {
			if p := s.Table(fk.Parent); p.SoftDelete() {
				r.fks = append(r.fks, fk)
			}
		}
	}
	sort.Strings(r.names)
	for _, name := range r.names {
		st := r.tables[name]
		for _, k := range r.keysWhere(st, "1=1") {
			st.add(k)
		}
	}
	startCounts := r.counts()
	r.installTriggers(s)

	cfg := smpConfig()
	// Two handles (two processes, as far as the database can tell).
	for i := 0; i < 2; i++ {
		var opts []Option
		if variant == "override" && i == 0 {
			opts = smpOverrides(sample, dialect)
		}
		h, err := Open(u, opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { h.Close() })
		bm := map[string]smpBulker{}
		for _, name := range r.names {
			if f := r.tables[name].bulk; f != nil {
				b, err := f(h)
				if err != nil {
					t.Fatalf("manager for %s: %v", name, err)
				}
				if b != nil {
					bm[name] = b
				}
			}
		}
		r.handles = append(r.handles, h)
		r.bulk = append(r.bulk, bm)
	}
	seed := advSeedValue(t)
	name := fmt.Sprintf("TestSampleDBStress/%s/%s/%s seed=%d", sample, dialect, variant, seed)
	t.Logf("%s: %d goroutines x %d operations, tool %d operations, tables %v", name, cfg.goroutines, cfg.ops, cfg.toolOps, r.names)
	stop := advWatchdog(name, 20*time.Minute)
	defer stop()

	r.start = time.Now()
	var wg sync.WaitGroup
	for g := 0; g < cfg.goroutines; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			rng := rand.New(rand.NewSource(seed*1000 + int64(g)))
			for i := 0; i < cfg.ops; i++ {
				r.op(rng, g, i)
			}
		}(g)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		rng := rand.New(rand.NewSource(seed*1000 + 999))
		r.tool(rng, cfg.toolOps)
	}()
	wg.Wait()
	r.a.count("seconds", int(time.Since(r.start).Seconds()))

	r.checkIndexes("after the run")
	r.checkState("after the run")
	r.checkGone(startCounts)
	r.undoAll()
	r.a.report(t, name)
}

// keysWhere lists the keys of st's rows matching cond.
func (r *smpRun) keysWhere(st *smpTable, cond string, args ...any) [][]int64 {
	r.t.Helper()
	cols := make([]string, len(st.pk))
	for i, c := range st.pk {
		cols[i] = r.q(c)
	}
	rows, err := r.db.SQL().Query("SELECT "+strings.Join(cols, ", ")+" FROM "+r.q(st.name)+" WHERE "+cond, args...)
	if err != nil {
		r.t.Fatalf("keys of %s: %v", st.name, err)
	}
	defer rows.Close()
	var out [][]int64
	for rows.Next() {
		k := make([]int64, len(cols))
		ptrs := make([]any, len(k))
		for i := range k {
			ptrs[i] = &k[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			r.t.Fatal(err)
		}
		out = append(out, k)
	}
	if err := rows.Err(); err != nil {
		r.t.Fatal(err)
	}
	return out
}

// counts is the number of rows of each table.
func (r *smpRun) counts() map[string]int64 {
	out := map[string]int64{}
	for _, name := range r.names {
		var n int64
		if err := r.db.SQL().QueryRow("SELECT COUNT(*) FROM " + r.q(name)).Scan(&n); err != nil {
			r.t.Fatal(err)
		}
		out[name] = n
	}
	return out
}

// aliveCounts is the number of alive rows of each table.
func (r *smpRun) aliveCounts() map[string]int64 {
	out := map[string]int64{}
	for _, name := range r.names {
		var n int64
		if err := r.db.SQL().QueryRow("SELECT COUNT(*) FROM " + r.q(name) + " WHERE deleted_at IS NULL").Scan(&n); err != nil {
			r.t.Fatal(err)
		}
		out[name] = n
	}
	return out
}

// installTriggers records every row removed for good in smp_gone: table,
// key, whether it was soft-deleted and its stamp, and who removed it ("raw"
// for the tool, marked per session on PostgreSQL and MariaDB and per
// transaction through smp_who on SQLite; "lib" otherwise). MariaDB fires no
// trigger for rows its foreign keys cascade to, so there rows removed by a
// CASCADE go unrecorded (checkGone accounts for them by count only).
func (r *smpRun) installTriggers(s *Schema) {
	t := r.t
	ex := func(q string) {
		t.Helper()
		if _, err := r.db.SQL().Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	stampType := ""
	for _, name := range r.names {
		c, _ := r.tables[name].ti.Column("deleted_at")
		stampType = c.Type
	}
	ex("CREATE TABLE smp_gone (tbl VARCHAR(64) NOT NULL, k VARCHAR(100) NOT NULL, was_deleted INT NOT NULL, stamp " + stampType + " NULL, who VARCHAR(10) NOT NULL)")
	ex("CREATE TABLE smp_ins (tbl VARCHAR(64) NOT NULL)")
	switch r.dialect {
	case "postgres":
		ex(`CREATE FUNCTION smp_gone_fn() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO smp_gone (tbl, k, was_deleted, stamp, who) VALUES (TG_ARGV[0],
    concat_ws(',', to_jsonb(OLD)->>TG_ARGV[1], to_jsonb(OLD)->>TG_ARGV[2]),
    CASE WHEN OLD.deleted_at IS NULL THEN 0 ELSE 1 END, OLD.deleted_at,
    COALESCE(NULLIF(current_setting('smp.who', true), ''), 'lib'));
  RETURN NULL;
END $$`)
		ex(`CREATE FUNCTION smp_ins_fn() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO smp_ins (tbl) VALUES (TG_ARGV[0]);
  RETURN NULL;
END $$`)
	case "sqlite":
		ex("CREATE TABLE smp_who (who TEXT NOT NULL)")
		ex("INSERT INTO smp_who VALUES ('lib')")
	}
	// Rows of inheritance children and partitions count as their parent's.
	type target struct{ table, as string }
	var targets []target
	for _, ti := range s.Tables {
		if ti.PartOf != "" && r.tables[ti.PartOf] != nil {
			targets = append(targets, target{ti.Name, ti.PartOf})
		}
	}
	for _, name := range r.names {
		targets = append(targets, target{name, name})
	}
	for _, tg := range targets {
		name, st := tg.table, r.tables[tg.as]
		var key []string
		for _, c := range st.pk {
			key = append(key, "OLD."+r.q(c))
		}
		trig := r.q("smp_gone_" + strings.ToLower(name))
		ins := r.q("smp_ins_" + strings.ToLower(name))
		switch r.dialect {
		case "postgres":
			args := []string{"'" + tg.as + "'"}
			for _, c := range st.pk {
				args = append(args, "'"+c+"'")
			}
			ex("CREATE TRIGGER " + trig + " AFTER DELETE ON " + r.q(name) + " FOR EACH ROW EXECUTE FUNCTION smp_gone_fn(" + strings.Join(args, ", ") + ")")
			ex("CREATE TRIGGER " + ins + " AFTER INSERT ON " + r.q(name) + " FOR EACH ROW EXECUTE FUNCTION smp_ins_fn('" + tg.as + "')")
		case "mysql":
			ex("CREATE TRIGGER " + trig + " AFTER DELETE ON " + r.q(name) + " FOR EACH ROW INSERT INTO smp_gone (tbl, k, was_deleted, stamp, who) VALUES ('" +
				tg.as + "', CONCAT_WS(','," + strings.Join(key, ", ") + "), OLD.deleted_at IS NOT NULL, OLD.deleted_at, COALESCE(@smp_who, 'lib'))")
			ex("CREATE TRIGGER " + ins + " AFTER INSERT ON " + r.q(name) + " FOR EACH ROW INSERT INTO smp_ins (tbl) VALUES ('" + tg.as + "')")
		case "sqlite":
			ex("CREATE TRIGGER " + trig + " AFTER DELETE ON " + r.q(name) + " BEGIN INSERT INTO smp_gone (tbl, k, was_deleted, stamp, who) VALUES ('" +
				tg.as + "', " + strings.Join(key, " || ',' || ") + ", OLD.deleted_at IS NOT NULL, OLD.deleted_at, (SELECT who FROM smp_who)); END")
			ex("CREATE TRIGGER " + ins + " AFTER INSERT ON " + r.q(name) + " BEGIN INSERT INTO smp_ins (tbl) VALUES ('" + tg.as + "'); END")
		}
	}
}

// smpAllowed lists the sentinels each kind of operation may return under
// races with the other goroutines and the tool (which removes rows and
// changes keys, so ErrNotFound is fair everywhere).
var smpAllowed = map[string][]string{
	"delete":               {"ErrDeleted", "ErrRestricted", "ErrNotFound"},
	"plan":                 {"ErrDeleted", "ErrRestricted", "ErrNotFound"},
	"restore":              {"ErrNotDeleted", "ErrParentDeleted", "ErrConflict", "ErrNotFound"},
	"restore-with-parents": {"ErrNotDeleted", "ErrConflict", "ErrNotFound"},
	"undo":                 {"ErrNotDeleted", "ErrParentDeleted", "ErrConflict", "ErrNotFound"},
	"bulk-delete":          {"ErrRestricted"},
	"bulk-restore":         {"ErrParentDeleted", "ErrConflict"},
	"purge":                {},
}

// pickTable picks a soft-deletable table (with a single-column key when
// single is set).
func (r *smpRun) pickTable(rng *rand.Rand, single bool) *smpTable {
	for {
		st := r.tables[r.names[rng.Intn(len(r.names))]]
		if !single || len(st.pk) == 1 {
			return st
		}
	}
}

// pickHidden picks a hidden row of a random table, nil if it found none.
func (r *smpRun) pickHidden(rng *rand.Rand) (*smpTable, []int64) {
	for try := 0; try < 4; try++ {
		st := r.pickTable(rng, false)
		ks := r.keysWhere(st, "deleted_at IS NOT NULL")
		if len(ks) > 0 {
			return st, ks[rng.Intn(len(ks))]
		}
	}
	return nil, nil
}

// op runs one random library operation and classifies its outcome.
func (r *smpRun) op(rng *rand.Rand, g, i int) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	start := time.Now()
	defer func() {
		if d := time.Since(start); d > 5*time.Second {
			r.a.count("over-5s", 1)
			r.a.slow(fmt.Sprintf("g%d op%d: %v", g, i, d.Round(time.Millisecond)), d)
		}
	}()
	hi := rng.Intn(len(r.handles))
	h := r.handles[hi]
	var kind, what string
	var err error
	switch x := rng.Intn(100); {
	case x < 32:
		kind = "delete"
		if r.skip(kind) {
			return
		}
		st := r.pickTable(rng, false)
		k := st.pick(rng)
		what = fmt.Sprintf("%s %v", st.name, k)
		var op *Operation
		if op, err = h.Delete(ctx, st.name, smpArgs(k)...); err == nil && (op == nil || op.Counts[st.name] != 1) {
			r.a.violation("delete-report", "delete %s returned %+v", what, op)
		}
	case x < 37:
		kind = "plan"
		if r.skip(kind) {
			return
		}
		st := r.pickTable(rng, false)
		k := st.pick(rng)
		what = fmt.Sprintf("%s %v", st.name, k)
		_, err = h.PlanDelete(ctx, st.name, smpArgs(k)...)
	case x < 50:
		kind = "restore"
		if r.skip(kind) {
			return
		}
		st, k := r.pickHidden(rng)
		if st == nil {
			return
		}
		what = fmt.Sprintf("%s %v", st.name, k)
		_, err = h.Restore(ctx, st.name, smpArgs(k)...)
	case x < 55:
		kind = "restore-with-parents"
		if r.skip(kind) {
			return
		}
		st, k := r.pickHidden(rng)
		if st == nil {
			return
		}
		what = fmt.Sprintf("%s %v", st.name, k)
		_, err = h.RestoreWithParents(ctx, st.name, smpArgs(k)...)
	case x < 70:
		kind = "undo"
		if r.skip(kind) {
			return
		}
		var ops []Operation
		if ops, err = h.Operations(ctx, OpFilter{Trash: true, Limit: 30}); err == nil {
			if len(ops) == 0 {
				return
			}
			op := ops[rng.Intn(len(ops))]
			what = fmt.Sprintf("operation %d (%s %s)", op.ID, op.Table, op.Key)
			_, err = h.Undo(ctx, op.ID)
		}
	case x < 85:
		kind = "bulk-delete"
		if r.skip(kind) {
			return
		}
		b, st := r.pickBulk(rng, hi)
		if b == nil {
			return
		}
		where, args := r.bulkWhere(rng, st)
		what = fmt.Sprintf("%s WHERE %s %v", st.name, where, args)
		_, err = b.del(ctx, where, args...)
	case x < 95:
		kind = "bulk-restore"
		if r.skip(kind) {
			return
		}
		b, st := r.pickBulk(rng, hi)
		if b == nil {
			return
		}
		where, args := r.bulkWhere(rng, st)
		what = fmt.Sprintf("%s WHERE %s %v", st.name, where, args)
		_, err = b.restore(ctx, where, args...)
	default:
		kind = "purge"
		if r.skip(kind) {
			return
		}
		since := time.Since(r.start)
		cut := r.start.Add(time.Duration(rng.Int63n(int64(since) + 1)))
		r.cutoffMu.Lock()
		if cut.After(r.cutoff) {
			r.cutoff = cut
		}
		r.cutoffMu.Unlock()
		what = fmt.Sprintf("before %s", cut.Format(time.RFC3339Nano))
		var res *PurgeResult
		if res, err = h.Purge(ctx, PurgePolicy{Before: cut}); err == nil {
			for tbl, n := range res.Counts {
				r.a.count("purged."+tbl, int(n))
			}
		}
	}
	r.outcome(kind, what, err, g, i)
	r.debugCheck(fmt.Sprintf("g%d op%d %s %s (%v)", g, i, kind, what, err))
}

// skip: SOFTDELETE_SAMPLE_SKIP lists kinds of operations not to run (to
// narrow a failure down).
func (r *smpRun) skip(kind string) bool {
	return slices.Contains(strings.Split(os.Getenv("SOFTDELETE_SAMPLE_SKIP"), ","), kind)
}

// debugCheck, with SOFTDELETE_SAMPLE_CHECK=table, runs CHECK TABLE on that
// table after every operation and logs the first one after which it fails.
func (r *smpRun) debugCheck(after string) {
	tbl := os.Getenv("SOFTDELETE_SAMPLE_CHECK")
	if tbl == "" || r.dialect != "mysql" || r.tables[tbl] == nil {
		return
	}
	if msg := r.checkTable(tbl); msg != "" && r.debugOnce.CompareAndSwap(false, true) {
		r.t.Logf("CHECK TABLE %s fails after %s: %s", tbl, after, msg)
	}
}

func (r *smpRun) pickBulk(rng *rand.Rand, hi int) (smpBulker, *smpTable) {
	var names []string
	for n := range r.bulk[hi] {
		names = append(names, n)
	}
	if len(names) == 0 {
		return nil, nil
	}
	sort.Strings(names)
	n := names[rng.Intn(len(names))]
	return r.bulk[hi][n], r.tables[n]
}

// bulkWhere is a narrow condition on st: a small key range, or the rows
// under one parent.
func (r *smpRun) bulkWhere(rng *rand.Rand, st *smpTable) (string, []any) {
	if len(st.ti.ForeignKeys) > 0 && rng.Intn(2) == 0 {
		fk := st.ti.ForeignKeys[rng.Intn(len(st.ti.ForeignKeys))]
		if p := r.tables[fk.Parent]; p != nil && len(fk.Columns) == 1 && len(p.pk) == 1 {
			return fk.Columns[0] + " = ?", []any{p.pick(rng)[0]}
		}
	}
	k := st.pick(rng)[0]
	return st.pk[0] + " >= ? AND " + st.pk[0] + " < ?", []any{k, k + 1 + int64(rng.Intn(4))}
}

func (r *smpRun) outcome(kind, what string, err error, g, i int) {
	r.a.count("ops", 1)
	cls := advClass(err)
	switch {
	case err == nil:
		r.a.count(kind+".ok", 1)
		return
	case cls == "":
		r.a.violation("raw-error", "g%d op%d %s %s: %v", g, i, kind, what, err)
		return
	case cls == "context.DeadlineExceeded":
		r.a.violation("slow-op", "g%d op%d %s %s took over 60s: %v", g, i, kind, what, err)
		return
	case cls == "ErrBusy":
		r.a.count(kind+".busy", 1)
		return
	}
	var se *SchemaError
	if r.sample == "pagila" && errors.As(err, &se) && strings.Contains(err.Error(), "payment_rental_id_fkey") {
		// Documented: payment.rental_id is NOT NULL under ON DELETE SET
		// NULL; a delete reaching a rental with payments is refused.
		r.a.count(kind+".set-null-not-null", 1)
		return
	}
	if kind == "restore-with-parents" && cls == "ErrParentDeleted" {
		// Not a violation on these schemas: RestoreWithParents restores
		// the row's hidden parents, each with its whole operation, and such
		// a restore is refused when it brings back another row whose
		// RESTRICT / NO ACTION parent is hidden (Chinook: an invoice's
		// other lines, their tracks deleted since; Sakila: a customer's
		// rentals, their inventory deleted since) or a row another tool
		// moved under another parent. RestoreWithParents does not restore
		// the parents of those other rows. The row's own parents in every
		// order are TestRestoreWithParentsRestrictParentFirst's and
		// TestRestoreWithParentsSameStampSetNullParent's.
		r.a.count(kind+".ErrParentDeleted-another-row", 1)
		return
	}
	if slices.Contains(smpAllowed[kind], cls) {
		r.a.count(kind+"."+cls, 1)
		return
	}
	r.a.violation("unexpected-error", "g%d op%d %s %s: %s: %v", g, i, kind, what, cls, err)
}

// ---- the other tool ----

// tool writes plain SQL on one connection of its own, marked "raw" for the
// triggers. It behaves as a careful tool would: a row it inserts or
// re-points references alive parents only, each locked FOR SHARE first (a
// tool that does not lock can create a live row under a parent a
// concurrent delete hides: nothing softdelete can see). Its own failures
// (foreign keys refusing, duplicate keys) are counted, not violations.
func (r *smpRun) tool(rng *rand.Rand, n int) {
	ctx := context.Background()
	conn, err := r.db.SQL().Conn(ctx)
	if err != nil {
		r.t.Error(err)
		return
	}
	defer conn.Close()
	switch r.dialect {
	case "postgres":
		_, err = conn.ExecContext(ctx, "SET smp.who = 'raw'")
	case "mysql":
		_, err = conn.ExecContext(ctx, "SET @smp_who = 'raw'")
	}
	if err != nil {
		r.t.Error(err)
		return
	}
	for i := 0; i < n; i++ {
		var kind string
		var err error
		switch x := rng.Intn(100); {
		case x < 40:
			kind = "insert"
			if r.skip(kind) {
				continue
			}
			err = r.toolTx(ctx, conn, func(tx *sql.Tx) error { return r.toolInsert(ctx, tx, rng) })
		case x < 65:
			kind = "hard-delete"
			if r.skip(kind) {
				continue
			}
			st := r.pickTable(rng, false)
			k := st.pick(rng)
			err = r.toolTx(ctx, conn, func(tx *sql.Tx) error {
				_, err := tx.ExecContext(ctx, "DELETE FROM "+r.q(st.name)+" WHERE "+r.keyPred(st, "", 1), smpArgs(k)...)
				return err
			})
		case x < 80:
			kind = "update-key"
			if r.skip(kind) {
				continue
			}
			st := r.pickTable(rng, true)
			k := st.pick(rng)
			nk := st.nextKey(rng)
			err = r.toolTx(ctx, conn, func(tx *sql.Tx) error {
				res, err := tx.ExecContext(ctx, "UPDATE "+r.q(st.name)+" SET "+r.q(st.pk[0])+" = "+r.ph(1)+" WHERE "+r.q(st.pk[0])+" = "+r.ph(2), nk, k[0])
				if err == nil {
					if n, _ := res.RowsAffected(); n == 1 {
						st.add([]int64{nk})
					}
				}
				return err
			})
		default:
			kind = "repoint"
			if r.skip(kind) {
				continue
			}
			err = r.toolTx(ctx, conn, func(tx *sql.Tx) error { return r.toolRepoint(ctx, tx, rng) })
		}
		if err != nil {
			r.a.count("tool."+kind+".refused", 1)
		} else {
			r.a.count("tool."+kind+".ok", 1)
		}
		r.debugCheck(fmt.Sprintf("tool op%d %s (%v)", i, kind, err))
	}
}

var errSmpSkip = errors.New("skip")

func (r *smpRun) toolTx(ctx context.Context, conn *sql.Conn, fn func(tx *sql.Tx) error) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if r.dialect == "sqlite" {
		if _, err := tx.ExecContext(ctx, "UPDATE smp_who SET who = 'raw'"); err != nil {
			tx.Rollback()
			return err
		}
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if r.dialect == "sqlite" {
		if _, err := tx.ExecContext(ctx, "UPDATE smp_who SET who = 'lib'"); err != nil {
			tx.Rollback()
			return err
		}
	}
	return tx.Commit()
}

// lockAlive locks the parent row fk points at with vals FOR SHARE, and
// reports whether it is alive.
func (r *smpRun) lockAlive(ctx context.Context, tx *sql.Tx, fk ForeignKeyInfo, vals []any) (bool, error) {
	var conds []string
	for i, c := range fk.ParentColumns {
		conds = append(conds, r.q(c)+" = "+r.ph(i+1))
	}
	q := "SELECT COUNT(*) FROM (SELECT 1 AS one FROM " + r.q(fk.Parent) + " WHERE " + strings.Join(conds, " AND ") + " AND deleted_at IS NULL"
	switch r.dialect {
	case "postgres":
		q += " FOR SHARE"
	case "mysql":
		q += " LOCK IN SHARE MODE"
	}
	q += ") x"
	var n int
	if err := tx.QueryRowContext(ctx, q, vals...).Scan(&n); err != nil {
		return false, err
	}
	return n > 0, nil
}

// toolInsert copies a row of a child table under a random alive parent.
func (r *smpRun) toolInsert(ctx context.Context, tx *sql.Tx, rng *rand.Rand) error {
	var cands []ForeignKeyInfo
	for _, fk := range r.fks {
		if st := r.tables[fk.Table]; st != nil && len(fk.Columns) == 1 && r.tables[fk.Parent] != nil && len(r.tables[fk.Parent].pk) == 1 {
			cands = append(cands, fk)
		}
	}
	fk := cands[rng.Intn(len(cands))]
	st, pt := r.tables[fk.Table], r.tables[fk.Parent]
	tmpl := st.pick(rng)
	parent := pt.pick(rng)[0]
	// The new row: the template's columns, the reference replaced, a new
	// key when the key is one column (a composite key takes the new
	// reference: film_actor, PlaylistTrack).
	var cols, exprs []string
	var args []any
	newKey := slices.Clone(tmpl)
	for _, c := range st.ti.Columns {
		if c.Generated || c.Name == "deleted_at" {
			continue
		}
		cols = append(cols, r.q(c.Name))
		switch {
		case c.Name == fk.Columns[0]:
			args = append(args, parent)
			exprs = append(exprs, r.ph(len(args)))
			if i := slices.Index(st.pk, c.Name); i >= 0 {
				newKey[i] = parent
			}
		case len(st.pk) == 1 && c.Name == st.pk[0]:
			newKey[0] = st.nextKey(rng)
			args = append(args, newKey[0])
			exprs = append(exprs, r.ph(len(args)))
		default:
			exprs = append(exprs, "t."+r.q(c.Name))
		}
	}
	// Every parent of the new row must be alive: lock each.
	row := map[string]any{fk.Columns[0]: parent}
	for _, o := range st.ti.ForeignKeys {
		if len(o.Columns) != 1 || o.Columns[0] == fk.Columns[0] || r.tables[o.Parent] == nil {
			continue
		}
		var v sql.NullInt64
		err := tx.QueryRowContext(ctx, "SELECT "+r.q(o.Columns[0])+" FROM "+r.q(st.name)+" WHERE "+r.keyPred(st, "", 1), smpArgs(tmpl)...).Scan(&v)
		if err != nil {
			return err
		}
		if v.Valid {
			row[o.Columns[0]] = v.Int64
		}
	}
	for _, o := range st.ti.ForeignKeys {
		v, ok := row[o.Columns[0]]
		if len(o.Columns) != 1 || !ok || r.tables[o.Parent] == nil {
			continue
		}
		alive, err := r.lockAlive(ctx, tx, o, []any{v})
		if err != nil {
			return err
		}
		if !alive {
			return errSmpSkip
		}
	}
	n := len(args)
	q := "INSERT INTO " + r.q(st.name) + " (" + strings.Join(cols, ", ") + ") SELECT " + strings.Join(exprs, ", ") +
		" FROM " + r.q(st.name) + " t WHERE " + r.keyPred(st, "t", n+1)
	res, err := tx.ExecContext(ctx, q, append(args, smpArgs(tmpl)...)...)
	if err != nil {
		return err
	}
	if c, _ := res.RowsAffected(); c == 1 {
		st.add(newKey)
		r.inserted[st.name].Add(1)
		return nil
	}
	return errSmpSkip
}

// toolRepoint points a row's reference at another alive parent.
func (r *smpRun) toolRepoint(ctx context.Context, tx *sql.Tx, rng *rand.Rand) error {
	var cands []ForeignKeyInfo
	for _, fk := range r.fks {
		if st := r.tables[fk.Table]; st != nil && len(fk.Columns) == 1 && !slices.Contains(st.pk, fk.Columns[0]) && len(r.tables[fk.Parent].pk) == 1 {
			cands = append(cands, fk)
		}
	}
	fk := cands[rng.Intn(len(cands))]
	st, pt := r.tables[fk.Table], r.tables[fk.Parent]
	k, parent := st.pick(rng), pt.pick(rng)[0]
	alive, err := r.lockAlive(ctx, tx, fk, []any{parent})
	if err != nil {
		return err
	}
	if !alive {
		return errSmpSkip
	}
	_, err = tx.ExecContext(ctx, "UPDATE "+r.q(st.name)+" SET "+r.q(fk.Columns[0])+" = "+r.ph(1)+" WHERE "+r.keyPred(st, "", 2), append([]any{parent}, smpArgs(k)...)...)
	return err
}

// ---- invariants ----

// checkIndexes runs CHECK TABLE on MariaDB: an index the database itself
// reports corrupted fails every later read of the table.
func (r *smpRun) checkIndexes(when string) {
	if r.dialect != "mysql" {
		return
	}
	for _, name := range r.names {
		if msg := r.checkTable(name); msg != "" {
			r.a.violation("index-corrupt", "%s: CHECK TABLE %s: %s", when, name, msg)
		}
	}
}

// checkTable is CHECK TABLE's complaint about a table, "" if none.
func (r *smpRun) checkTable(name string) string {
	rows, err := r.db.SQL().Query("CHECK TABLE " + r.q(name))
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var bad []string
	for rows.Next() {
		var tbl, op, typ, msg string
		if err := rows.Scan(&tbl, &op, &typ, &msg); err != nil {
			return err.Error()
		}
		if !(typ == "status" && msg == "OK") {
			bad = append(bad, typ+": "+msg)
		}
	}
	return strings.Join(bad, "; ")
}

// checkState: no live row under a hidden parent, no alive-only unique
// duplicate.
func (r *smpRun) checkState(when string) int {
	n := 0
	for _, fk := range r.fks {
		var on []string
		for i, c := range fk.Columns {
			on = append(on, "p."+r.q(fk.ParentColumns[i])+" = c."+r.q(c))
		}
		q := "SELECT COUNT(*) FROM " + r.q(fk.Table) + " c JOIN " + r.q(fk.Parent) + " p ON " + strings.Join(on, " AND ") +
			" WHERE c.deleted_at IS NULL AND p.deleted_at IS NOT NULL"
		var c int
		if err := r.db.SQL().QueryRow(q).Scan(&c); err != nil {
			r.t.Fatalf("%s: %v", q, err)
		}
		if c > 0 {
			r.a.violation("live-under-hidden-parent", "%s: %d live %s rows reference hidden %s (%s, %s)", when, c, fk.Table, fk.Parent, fk.Name, fk.OnDelete)
			n++
		}
	}
	for _, name := range r.names {
		for _, uk := range r.tables[name].ti.UniqueKeys {
			if !uk.AliveOnly {
				continue
			}
			var cols, nn []string
			for _, c := range uk.Columns {
				cols = append(cols, r.q(c))
				nn = append(nn, r.q(c)+" IS NOT NULL")
			}
			q := "SELECT COUNT(*) FROM (SELECT 1 AS one FROM " + r.q(name) + " WHERE deleted_at IS NULL AND " + strings.Join(nn, " AND ") +
				" GROUP BY " + strings.Join(cols, ", ") + " HAVING COUNT(*) > 1) x"
			var c int
			if err := r.db.SQL().QueryRow(q).Scan(&c); err != nil {
				r.a.violation("check-failed", "%s: %s: %v", when, q, err)
				continue
			}
			if c > 0 {
				r.a.violation("alive-unique-duplicate", "%s: %s %v: %d values held by several live rows", when, name, uk.Columns, c)
				n++
			}
		}
	}
	return n
}

// checkGone: rows removed for good by the library were soft-deleted and
// due; every row is accounted for.
func (r *smpRun) checkGone(start map[string]int64) {
	ctx := context.Background()
	r.cutoffMu.Lock()
	cut := r.cutoff
	r.cutoffMu.Unlock()
	var due string
	var arg any
	switch r.dialect {
	case "postgres":
		due, arg = "stamp < $1", cut
	case "mysql":
		due, arg = "stamp < ?", cut.UTC().Format("2006-01-02 15:04:05.999999")
	default:
		due, arg = "unixepoch(stamp, 'subsec') < ?", float64(cut.UnixMicro())/1e6
	}
	rows, err := r.db.SQL().QueryContext(ctx, "SELECT tbl, k, was_deleted, CASE WHEN stamp IS NULL THEN 0 WHEN "+due+" THEN 1 ELSE 0 END FROM smp_gone WHERE who = 'lib'", arg)
	if err != nil {
		r.t.Fatal(err)
	}
	for rows.Next() {
		var tbl, k string
		var wasDeleted, isDue int
		if err := rows.Scan(&tbl, &k, &wasDeleted, &isDue); err != nil {
			r.t.Fatal(err)
		}
		switch {
		case r.sample == "sakila" && tbl == "film_text":
			// Sakila's own trigger del_film removes a film's film_text row
			// (alive or not) when the film is removed.
			r.a.count("gone.by-sample-trigger", 1)
		case wasDeleted == 0:
			r.a.violation("purge-removed-alive", "%s %s was alive when the library removed it for good", tbl, k)
		case isDue == 0:
			r.a.violation("purge-removed-not-due", "%s %s was removed for good, soft-deleted after the latest cut-off %s", tbl, k, cut.Format(time.RFC3339Nano))
		default:
			r.a.count("gone.purged", 1)
		}
	}
	if err := rows.Err(); err != nil {
		r.t.Fatal(err)
	}
	rows.Close()
	gone := map[string]int64{}
	rows, err = r.db.SQL().QueryContext(ctx, "SELECT tbl, who, COUNT(*) FROM smp_gone GROUP BY tbl, who")
	if err != nil {
		r.t.Fatal(err)
	}
	for rows.Next() {
		var tbl, who string
		var n int64
		if err := rows.Scan(&tbl, &who, &n); err != nil {
			r.t.Fatal(err)
		}
		gone[tbl] += n
		r.a.count("gone."+who+"."+tbl, int(n))
	}
	rows.Close()
	// MariaDB records no row its foreign keys cascaded to: there, a table
	// that is the child of a CASCADE key may have lost more.
	cascadeChild := map[string]bool{}
	for _, fk := range r.fks {
		if fk.SchemaRule == Cascade {
			cascadeChild[fk.Table] = true
		}
	}
	ins := map[string]int64{}
	rows, err = r.db.SQL().QueryContext(ctx, "SELECT tbl, COUNT(*) FROM smp_ins GROUP BY tbl")
	if err != nil {
		r.t.Fatal(err)
	}
	for rows.Next() {
		var tbl string
		var n int64
		if err := rows.Scan(&tbl, &n); err != nil {
			r.t.Fatal(err)
		}
		ins[tbl] = n
	}
	rows.Close()
	end := r.counts()
	for _, name := range r.names {
		// Inserts are counted by trigger: the samples' own triggers write
		// rows too (Sakila's film_text follows film).
		want := start[name] + ins[name] - gone[name]
		if end[name] == want || r.dialect == "mysql" && cascadeChild[name] && end[name] < want {
			continue
		}
		r.a.violation("rows-not-conserved", "%s: %d rows at the end; %d at the start + %d inserted - %d removed = %d", name, end[name], start[name], ins[name], gone[name], want)
	}
}

// ownership maps every hidden row to the delete operation hiding it, and
// checks that each is hidden by exactly one that was not undone. It
// returns the operations still hiding rows, newest first, with their rows.
func (r *smpRun) ownership(when string) ([]Operation, map[int64]map[string][][]int64) {
	ctx := context.Background()
	var ops []Operation
	var before int64
	for {
		page, err := r.db.Operations(ctx, OpFilter{Kind: OpDelete, Limit: 500, BeforeID: before})
		if err != nil {
			r.t.Fatal(err)
		}
		ops = append(ops, page...)
		if len(page) < 500 {
			break
		}
		before = page[len(page)-1].ID
	}
	owner := map[string]int64{}
	rowsOf := map[int64]map[string][][]int64{}
	var live []Operation
	for _, op := range ops {
		rows := map[string][][]int64{}
		n := 0
		for _, name := range r.names {
			err := r.db.OperationKeys(ctx, op.ID, name, 1000, func(keys [][]any) error {
				for _, k := range keys {
					ik := make([]int64, len(k))
					for i, v := range k {
						var err error
						if ik[i], err = advInt(v); err != nil {
							return err
						}
					}
					rows[name] = append(rows[name], ik)
					id := name + "/" + smpKeyString(ik)
					if o, dup := owner[id]; dup {
						r.a.violation("row-owned-twice", "%s: %s hidden by operations %d and %d", when, id, o, op.ID)
					}
					owner[id] = op.ID
					n++
				}
				return nil
			})
			if err != nil {
				r.t.Fatalf("OperationKeys(%d, %s): %v", op.ID, name, err)
			}
		}
		if op.UndoneBy != 0 && n > 0 {
			r.a.violation("undone-op-still-hides", "%s: operation %d (%s %s, undone by %d) still hides %d rows", when, op.ID, op.Table, op.Key, op.UndoneBy, n)
		}
		if op.UndoneBy == 0 && n > 0 {
			live = append(live, op)
			rowsOf[op.ID] = rows
		}
	}
	for _, name := range r.names {
		for _, k := range r.keysWhere(r.tables[name], "deleted_at IS NOT NULL") {
			if _, ok := owner[name+"/"+smpKeyString(k)]; !ok {
				r.a.violation("hidden-row-without-operation", "%s: %s %v is hidden but no delete operation of the log hides it", when, name, k)
			}
		}
	}
	return live, rowsOf
}

// hiddenParent reports whether the row has a hidden parent through a
// foreign key whose rule is not SET NULL.
func (r *smpRun) hiddenParent(st *smpTable, k []int64) bool {
	for _, fk := range r.fks {
		if fk.Table != st.name || fk.OnDelete == SetNull {
			continue
		}
		var on []string
		for i, c := range fk.Columns {
			on = append(on, "p."+r.q(fk.ParentColumns[i])+" = c."+r.q(c))
		}
		var n int
		q := "SELECT COUNT(*) FROM " + r.q(st.name) + " c JOIN " + r.q(fk.Parent) + " p ON " + strings.Join(on, " AND ") +
			" WHERE " + r.keyPred(st, "c", 1) + " AND p.deleted_at IS NOT NULL"
		if err := r.db.SQL().QueryRow(q, smpArgs(k)...).Scan(&n); err != nil {
			r.t.Fatal(err)
		}
		if n > 0 {
			return true
		}
	}
	return false
}

// rowState is "alive", "hidden" or "gone".
func (r *smpRun) rowState(st *smpTable, k []int64) string {
	var d int
	err := r.db.SQL().QueryRow("SELECT CASE WHEN deleted_at IS NULL THEN 1 ELSE 0 END FROM "+r.q(st.name)+" WHERE "+r.keyPred(st, "", 1), smpArgs(k)...).Scan(&d)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "gone"
	case err != nil:
		r.t.Fatal(err)
	case d == 1:
		return "alive"
	}
	return "hidden"
}

// undoAll undoes every operation still in the trash, newest first, in
// passes, and checks each.
func (r *smpRun) undoAll() {
	ctx := context.Background()
	live, rowsOf := r.ownership("before the final undo")
	r.a.count("ops-in-trash-at-end", len(live))
	for pass := 1; len(live) > 0; pass++ {
		var next []Operation
		for _, op := range live {
			if !r.undoOne(ctx, op, rowsOf[op.ID]) {
				next = append(next, op)
			}
		}
		if len(next) == len(live) {
			break
		}
		live = next
		_, rowsOf = r.ownership(fmt.Sprintf("after final undo pass %d", pass))
	}
	for _, op := range live {
		_, err := r.db.Undo(ctx, op.ID)
		switch advClass(err) {
		case "ErrConflict":
			r.a.count("final-undo-refused-conflict", 1)
		case "ErrParentDeleted":
			r.a.count("final-undo-refused-parent", 1)
		default:
			r.a.violation("final-undo-refused", "Undo(%d) of %s %s refused after every other undo: %v", op.ID, op.Table, op.Key, err)
		}
	}
	r.checkState("after undoing everything")
	live, _ = r.ownership("after the final undo")
	r.a.count("ops-left-after-final-undo", len(live))
}

// nulledOf reads the SET NULL bookkeeping of an operation's stamp: child
// table, row key, column and old value.
func (r *smpRun) nulledRefs() map[string]string {
	out := map[string]string{}
	for _, fk := range r.fks {
		if fk.OnDelete != SetNull || len(fk.Columns) != 1 {
			continue
		}
		st := r.tables[fk.Table]
		for _, k := range r.keysWhere(st, r.q(fk.Columns[0])+" IS NULL") {
			out[fk.Table+"/"+smpKeyString(k)+"/"+fk.Columns[0]] = ""
		}
	}
	return out
}

// smpNulled is one row of the SET NULL bookkeeping, with the current value
// of the reference it cleared ("" for NULL).
type smpNulled struct {
	table, fk, key, old, now string
}

// nulledBook reads softdelete_nulled, with each child's current reference.
func (r *smpRun) nulledBook() map[int64]smpNulled {
	out := map[int64]smpNulled{}
	id := "id"
	if r.dialect == "sqlite" {
		id = "rowid"
	}
	rows, err := r.db.SQL().Query("SELECT " + id + ", child_table, fk_name, row_key, old_values FROM softdelete_nulled")
	if err != nil {
		r.t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var e smpNulled
		if err := rows.Scan(&id, &e.table, &e.fk, &e.key, &e.old); err != nil {
			r.t.Fatal(err)
		}
		out[id] = e
	}
	rows.Close()
	for id, e := range out {
		if col, st := r.fkColumn(e.table, e.fk); col != "" && len(st.pk) == 1 {
			var v sql.NullString
			err := r.db.SQL().QueryRow("SELECT "+r.asText(r.q(col))+" FROM "+r.q(e.table)+" WHERE "+r.q(st.pk[0])+" = "+r.ph(1), smpInt(e.key)).Scan(&v)
			if err == nil && v.Valid {
				e.now = v.String
			} else if errors.Is(err, sql.ErrNoRows) {
				e.now = "gone"
			}
			out[id] = e
		}
	}
	return out
}

// asText casts an integer expression to text.
func (r *smpRun) asText(expr string) string {
	switch r.dialect {
	case "postgres":
		return expr + "::text"
	case "mysql":
		return "CAST(" + expr + " AS CHAR)"
	}
	return "CAST(" + expr + " AS TEXT)"
}

func smpInt(s string) int64 {
	n, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	return n
}

// fkColumn is the column of a single-column foreign key of table.
func (r *smpRun) fkColumn(table, name string) (string, *smpTable) {
	for _, fk := range r.fks {
		if fk.Table == table && fk.Name == name && len(fk.Columns) == 1 {
			return fk.Columns[0], r.tables[table]
		}
	}
	return "", nil
}

// parentAlive reports whether the parent a bookkeeping entry names exists
// and is alive.
func (r *smpRun) parentAlive(e smpNulled) bool {
	for _, fk := range r.fks {
		if fk.Table == e.table && fk.Name == e.fk && len(fk.Columns) == 1 {
			var n int
			if err := r.db.SQL().QueryRow("SELECT COUNT(*) FROM "+r.q(fk.Parent)+" WHERE "+r.q(fk.ParentColumns[0])+" = "+r.ph(1)+" AND deleted_at IS NULL", smpInt(e.old)).Scan(&n); err != nil {
				r.t.Fatal(err)
			}
			return n > 0
		}
	}
	return false
}

// undoOne undoes one operation and checks the result; false if refused.
func (r *smpRun) undoOne(ctx context.Context, op Operation, rows map[string][][]int64) bool {
	book := r.nulledBook()
	before, nullBefore := r.aliveCounts(), r.nulledRefs()
	total := r.counts()
	res, err := r.db.Undo(ctx, op.ID)
	r.a.count("final-undo-calls", 1)
	if err != nil {
		if advClass(err) == "" {
			r.a.violation("raw-error", "final Undo(%d): %v", op.ID, err)
		}
		if got := r.aliveCounts(); !mapsEqual(got, before) || len(r.nulledRefs()) != len(nullBefore) {
			r.a.violation("partial-state", "refused final Undo(%d) (%v) changed alive counts %v -> %v", op.ID, err, before, got)
		}
		return false
	}
	r.a.count("final-undo-ok", 1)
	var back int64
	for name, keys := range rows {
		st := r.tables[name]
		for _, k := range keys {
			switch r.rowState(st, k) {
			case "alive":
				back++
			case "hidden":
				if r.hiddenParent(st, k) {
					r.a.count("final-undo-transfers", 1)
					continue
				}
				r.a.violation("undo-not-exact", "Undo(%d) left %s %v hidden (no hidden parent)", op.ID, name, k)
			case "gone":
				r.a.violation("undo-removed-row", "Undo(%d): %s %v no longer exists", op.ID, name, k)
			}
		}
	}
	var grew int64
	after := r.aliveCounts()
	for name := range after {
		grew += after[name] - before[name]
	}
	if grew != back {
		r.a.violation("undo-not-exact", "Undo(%d) of %s %s: %d rows came alive, %d of its rows came back (alive %v -> %v)", op.ID, op.Table, op.Key, grew, back, before, after)
	}
	if res.Rows != back {
		r.a.violation("undo-count", "Undo(%d) reported %d rows (%v); %d of its rows came back", op.ID, res.Rows, res.Counts, back)
	}
	if got := r.counts(); !mapsEqual(got, total) {
		r.a.violation("undo-changed-row-count", "Undo(%d): rows %v -> %v", op.ID, total, got)
	}
	// The references its SET NULL cleared come back: each bookkeeping row
	// the undo consumed whose reference was still NULL now holds the old
	// value again, unless that parent is not alive.
	bookAfter := r.nulledBook()
	for id, e := range book {
		if _, kept := bookAfter[id]; kept || e.now != "" {
			continue
		}
		var now sql.NullString
		col, st := r.fkColumn(e.table, e.fk)
		if col == "" {
			continue
		}
		err := r.db.SQL().QueryRow("SELECT "+r.asText(r.q(col))+" FROM "+r.q(e.table)+" WHERE "+r.q(st.pk[0])+" = "+r.ph(1), smpInt(e.key)).Scan(&now)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			r.t.Fatal(err)
		case now.String == e.old:
			r.a.count("final-undo-set-null-back", 1)
		case !now.Valid && !r.parentAlive(e):
			r.a.count("final-undo-set-null-parent-gone", 1)
		default:
			r.a.violation("undo-set-null", "Undo(%d) consumed the bookkeeping of %s %s.%s (was %s) but the reference is %v", op.ID, e.table, e.key, col, e.old, now)
		}
	}
	// The references its SET NULL cleared come back (the bookkeeping
	// count per operation is op.Nulled).
	var cleared int64
	for _, n := range op.Nulled {
		cleared += n
	}
	if cleared > 0 {
		restored := int64(len(nullBefore) - len(r.nulledRefs()))
		r.a.count("final-undo-nulled-back", int(restored))
		if restored > cleared {
			r.a.violation("undo-set-null", "Undo(%d) put back %d references, the delete cleared %d", op.ID, restored, cleared)
		}
	}
	return true
}

func mapsEqual(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
