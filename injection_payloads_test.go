package softdelete

import (
	"fmt"
	"strings"
)

// expressionPayloads generates the adversarial corpus: classic injection
// strings, parenthesis escapes, comments, stacked queries, database
// specific syntax, variables and numbered parameters, backslash escapes,
// unicode look-alikes, control characters and very long inputs, each
// also embedded the ways an application splices user input into a Where
// expression. full adds larger sizes.
func expressionPayloads(full bool) []string {
	base := []string{
		// classic
		"' OR '1'='1", "' OR 1=1 --", "\" OR \"\"=\"", "1 OR 1=1", "admin'--", "') OR ('1'='1", "' OR ''='",
		"1' OR '1'='1' /*", "' OR 'x'='x", "x' AND email IS NULL; --", "' OR 1=1#", "1 AND 1=1", "1 AND 1=2",
		"' AND SLEEP(5) AND '1'='1", "1 AND SLEEP(5)", "'; WAITFOR DELAY '0:0:5'--", "1; SELECT pg_sleep(5)",
		"pg_sleep(5)", "benchmark(10000000, md5(1))", "load_file('/etc/passwd')", "1 INTO OUTFILE '/tmp/x'",
		"' UNION SELECT NULL, NULL --", "1 UNION ALL SELECT password FROM users", "id UNION SELECT 1",
		"(SELECT 1)", "EXISTS (SELECT 1)", "id IN (SELECT id FROM t)", "(SELECT COUNT(*) FROM sqlite_master) > 0",
		"id = (SELECT MAX(id) FROM information_schema.tables)", "current_user = 'postgres'", "version() LIKE '%'",
		"sqlite_version() > '3'", "database() = 'test'", "user() IS NOT NULL", "randomblob(1000000000)",
		"zeroblob(1000000000) IS NULL", "lo_import('/etc/passwd')", "dblink('x', 'y')", "pg_read_file('/etc/passwd')",
		"COPY t TO PROGRAM 'id'", "ATTACH DATABASE '/tmp/x' AS x", "PRAGMA writable_schema=1", "LIKE '%'",
		"1 PROCEDURE ANALYSE()", "id = 1 LIMIT 1", "id = 1 ORDER BY 1", "id = 1 GROUP BY id HAVING 1=1",
		"id = 1 FOR UPDATE", "id = 1 RETURNING *", "id = 1 OFFSET 0", "id AS x", "id x", "id = 1 AS",
		"CAST(id AS TEXT) AS x", "name COLLATE \"C\" = 'a'", "id::text = '1'", "id = 1::int", "ARRAY[1] = ARRAY[1]",
		"id = ANY('{1}')", "name ~ '.*'", "name SIMILAR TO '%'", "name REGEXP '.*'", "name RLIKE '.*'",
		"name GLOB '*'", "name MATCH 'x'", "id <=> NULL", "id && 1", "id || 1 = 1", "id ^ 1", "id | 1", "id & 1",
		"~id", "!id", "id !~ 'x'", "INTERVAL 1 DAY", "DIV 1", "id DIV 1", "id MOD 2 = 0", "X'27'", "x'414141'",
		"0x27", "0x414141 = name", "b'1'", "N'x' = name", "_utf8'x' = name", "_binary 'x'", "E'\\x27'",
		"U&'\\0027'", "$$x$$", "$1", "$a", "$1::text", "name = $$'$$", "CHAR(39)", "CHR(39)", "char(0x27)",
		"CONCAT(CHAR(39), 'x')",
		// issue 8
		"1=0)) OR ((1=1", "1=0) OR (1=1", "1=0))) OR (((1=1", ") OR (", ")) OR ((", "1) OR 1=1 OR (1",
		"id = 1) UNION (SELECT 1", "1) --", "1)) --", "1) /*", "(((", ")))", "()", "(1", "1)",
		"@@version LIKE '10.%'", "@`x` := 42", "@x := 1", "@x", "@@global.read_only", "@@session.sql_mode",
		"@x = 1", "id := 42", "`x` := 42", "?1", "?123", "id = ?1", "id = ?999", ":name", ":1", "@name",
		"id = :id", "id = @p1", "id = ${x}", "id = {x}", "id = [x]", "id = ?::int", "",
		// comments and stacked
		"--", "-- x", "#", "# x", "/*", "*/", "/* x */", "/*! 1=1 */", "/*!50000 UNION*/", "--\n1=1", "-- -",
		"1 -- ", "1 #", "1 /*", "; DELETE FROM products", "; UPDATE products SET deleted_at = NULL",
		"; DROP TABLE products", "1; COMMIT", "1; ROLLBACK", "; SHUTDOWN", "1;", ";",
		// backslash escapes
		"\\' OR 1=1 --", "\\\\' OR 1=1", "'\\'' OR 1=1", "name = '\\'' OR 1=1 -- '", "\\x27", "\\u0027",
		"\\0", "\\n", "name = 'a\\'", "\\",
		// unicode, homoglyphs and control characters
		"name ＝ 'x'", "ｉｄ = 1", "＇ OR 1=1 --", "ʼ OR 1=1 --", "‘ OR 1=1 --", "’ OR ‘1’=‘1", "＂ OR 1=1",
		"id ＜ 1", "id；", "idｘ", "іd = 1", "id\u00a0= 1", "id\u200b= 1", "id\u2028= 1", "id = 1\u202e",
		"nаme = 'x'", "\ufeffid = 1", "id = ١", "id = ¹", "id = 1\x00", "\x00", "id\x00= 1", "id = '\x00'",
		"id = 1\x1a", "id\v= 1", "id\f= 1", "\xff", "id = '\xff'", "\xc0\xa7 OR 1=1", "\xbf' OR 1=1 --",
		"\xef\xbc\x87 OR 1=1", "id = 1 \xe2\x80\x8b", "ǀǀ", "id ꞊ 1",
	}
	// very long inputs
	long := []int{1 << 10, 70 << 10}
	if full {
		long = append(long, 1<<20)
	}
	for _, n := range long {
		base = append(base, strings.Repeat("(", n)+"1"+strings.Repeat(")", n), strings.Repeat("a", n),
			"name = '"+strings.Repeat("x", n)+"'", strings.Repeat("NOT ", n)+"1=1", strings.Repeat("-", n)+"1",
			"1=1"+strings.Repeat(" OR 1=1", n/8))
	}
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, p := range base {
		add(p)
		if len(p) > 4096 {
			continue
		}
		add("name = " + p)
		add("id = 1 AND " + p)
		add("name = '" + p + "'")
		if full {
			add(p + " AND id = 1")
			add("(" + p + ")")
			add("id = 1 OR " + p)
		}
	}
	// parenthesis escapes of every depth and keyword spelling
	for d := 1; d <= 6; d++ {
		for _, kw := range []string{"OR", "or", "Or", "||"} {
			add("1=0" + strings.Repeat(")", d) + " " + kw + " " + strings.Repeat("(", d) + "1=1")
		}
	}
	if full {
		for i := 0; i < 256; i++ {
			add(fmt.Sprintf("id = 1 %c 1", rune(i)))
			add(fmt.Sprintf("id %c= 1", rune(0x2000+i)))
		}
	}
	return out
}
