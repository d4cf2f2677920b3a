#!/usr/bin/env python3
"""Builds the sample databases under testdata/sampledb from their public
sources (kept small: the schema as published, with a subset of the data).

  chinook: github.com/lerocha/chinook-database (ChinookDatabase/DataSources/
           Chinook_{Sqlite,PostgreSql,MySql}.sql, v1.4.5), MIT licence.
  pagila:  github.com/devrimgunduz/pagila at 502a98a (pagila 0.10.1, the
           version with inheritance partitions payment_p2007_*), BSD/PostgreSQL
           licence; data subset from its pagila-data.sql.
  sakila:  github.com/jOOQ/sakila mysql-sakila-db/mysql-sakila-schema.sql
           (BSD licence) with the same data subset as pagila; sakila/sqlite.sql
           is sqlite-sakila-db/sqlite-sakila-schema.sql from the same
           repository, as published (schema only).

usage: make.py CHINOOK_DIR PAGILA_SCHEMA PAGILA_DATA SAKILA_MYSQL_SCHEMA OUTDIR
(CHINOOK_DIR holds Chinook_Sqlite.sql, Chinook_PostgreSql.sql, Chinook_MySql.sql.)
"""
import os, re, sys

MAX_TRACK = 300

def chinook(src, out, quote):
    lines = open(src, encoding='utf-8-sig').read().split('\n')
    res = []
    table = None
    kept = []
    def flush():
        if kept:
            res.append(header)
            for i, r in enumerate(kept):
                res.append(r + (';' if i == len(kept) - 1 else ','))
    for ln in lines:
        s = ln.strip()
        if re.match(r'(DROP|CREATE) DATABASE|USE |\\c ', s):
            continue
        if s.startswith('INSERT INTO'):
            flush(); kept = []
            header = ln
            table = re.sub(r'[\[\]`"]', '', s.split()[2]).lower().replace('_', '')
            continue
        if table and s.startswith('('):
            row = s.rstrip(',;')
            nums = re.findall(r'-?\d+(?:\.\d+)?', row)
            first = row[1:].split(',')[0].strip()
            keep = True
            if table == 'track':
                keep = int(first) <= MAX_TRACK
            elif table == 'invoiceline':
                f = [x.strip() for x in row[1:-1].split(',')]
                keep = int(f[2]) <= MAX_TRACK
            elif table == 'playlisttrack':
                f = [x.strip() for x in row[1:-1].split(',')]
                keep = int(f[1]) <= MAX_TRACK
            if keep:
                kept.append(row)
            continue
        if table and not s.startswith('('):
            flush(); kept = []; table = None
        res.append(ln)
    flush()
    open(out, 'w').write('\n'.join(res))

def parse_copy(path):
    tables = {}
    cur = None
    for ln in open(path, encoding='utf-8').read().split('\n'):
        if cur is None:
            m = re.match(r'COPY (\w+) \((.*)\) FROM stdin;', ln)
            if m:
                cur = (m.group(1), [c.strip() for c in m.group(2).split(',')])
                tables[cur[0]] = (cur[1], [])
            continue
        if ln == '\\.':
            cur = None
            continue
        vals = [None if v == '\\N' else v for v in ln.split('\t')]
        tables[cur[0]][1].append(dict(zip(cur[1], vals)))
    return tables

def subset(t):
    films = {r['film_id'] for r in t['film'][1] if int(r['film_id']) <= 30}
    customers = {r['customer_id'] for r in t['customer'][1] if int(r['customer_id']) <= 25}
    keep = {}
    keep['film'] = [r for r in t['film'][1] if r['film_id'] in films]
    keep['film_actor'] = [r for r in t['film_actor'][1] if r['film_id'] in films]
    actors = {r['actor_id'] for r in keep['film_actor']}
    keep['actor'] = [r for r in t['actor'][1] if r['actor_id'] in actors]
    keep['film_category'] = [r for r in t['film_category'][1] if r['film_id'] in films]
    keep['category'] = t['category'][1]
    keep['language'] = t['language'][1]
    keep['store'] = t['store'][1]
    keep['staff'] = t['staff'][1]
    keep['customer'] = [r for r in t['customer'][1] if r['customer_id'] in customers]
    addrs = {r['address_id'] for k in ('store', 'staff', 'customer') for r in keep[k]}
    keep['address'] = [r for r in t['address'][1] if r['address_id'] in addrs]
    cities = {r['city_id'] for r in keep['address']}
    keep['city'] = [r for r in t['city'][1] if r['city_id'] in cities]
    countries = {r['country_id'] for r in keep['city']}
    keep['country'] = [r for r in t['country'][1] if r['country_id'] in countries]
    keep['inventory'] = [r for r in t['inventory'][1] if r['film_id'] in films]
    inv = {r['inventory_id'] for r in keep['inventory']}
    keep['rental'] = [r for r in t['rental'][1] if r['inventory_id'] in inv and r['customer_id'] in customers]
    rentals = {r['rental_id'] for r in keep['rental']}
    for k in t:
        if k.startswith('payment'):
            keep[k] = [r for r in t[k][1] if r['rental_id'] in rentals and r['customer_id'] in customers]
    for r in keep['staff']:
        r['picture'] = None
    return keep

ORDER = ['language', 'category', 'actor', 'country', 'city', 'address', 'film', 'film_actor',
         'film_category', 'staff', 'store', 'customer', 'inventory', 'rental']

def lit(v, num):
    if v is None:
        return 'NULL'
    if num and re.match(r'^-?[0-9.]+$', v):
        return v
    return "'" + v.replace("'", "''") + "'"

NUMERIC = re.compile(r'^(\w+_id|release_year|rental_duration|rental_rate|length|replacement_cost|amount|active)$')

def inserts(table, cols, rows, conv=None):
    if not rows:
        return ''
    out = ['INSERT INTO %s (%s) VALUES' % (table, ', '.join(cols))]
    for i, r in enumerate(rows):
        if conv:
            r = conv(r)
        vals = ', '.join(lit(r.get(c), NUMERIC.match(c) is not None) for c in cols)
        out.append('  (%s)%s' % (vals, ';' if i == len(rows) - 1 else ','))
    return '\n'.join(out) + '\n'

def pagila(schema, data, out):
    t = parse_copy(data)
    keep = subset(t)
    body = []
    for k in ORDER + sorted(k for k in keep if k.startswith('payment')):
        cols = t[k][0]
        body.append(inserts(k, cols, keep[k]))
    sql = open(schema, encoding='utf-8').read()
    # Strip what a test schema cannot run: session settings that name the
    # public schema, ownership, grants on public, comments on public.
    res = []
    for stmt_line in sql.split('\n'):
        s = stmt_line.strip()
        if re.match(r"SET (search_path|default_tablespace|default_with_oids|client_encoding|standard_conforming_strings|escape_string_warning)", s):
            continue
        if re.match(r'(ALTER .* OWNER TO|REVOKE ALL ON SCHEMA public|GRANT ALL ON SCHEMA public|COMMENT ON SCHEMA public)', s):
            continue
        res.append(stmt_line)
    sql = '\n'.join(res)
    i = sql.index('ALTER TABLE ONLY')
    i = sql.rfind('\n--\n', 0, i)
    data_sql = '\n-- Data: a subset of pagila-data.sql (films 1-30, customers 1-25 and what they reference).\n' + ''.join(body)
    sql = sql[:i] + '\n' + data_sql + sql[i:]
    open(out, 'w').write(sql)
    return t, keep

def sakila(schema, t, keep, out):
    sql = open(schema, encoding='utf-8').read()
    res = []
    for ln in sql.split('\n'):
        s = ln.strip()
        if re.match(r'(DROP SCHEMA|CREATE SCHEMA|USE )', s):
            continue
        res.append(ln.replace('sakila.', ''))
    sql = '\n'.join(res)
    # The original restores the session settings at its end; keep the data
    # before that.
    body = ['\n-- Data: the same subset as pagila (films 1-30, customers 1-25 and what they reference).\n']
    def feat(r):
        r = dict(r)
        sf = r.get('special_features')
        if sf:
            r['special_features'] = ','.join(x.strip('"') for x in re.findall(r'"[^"]*"|[^,{}]+', sf))
        if 'activebool' in r:
            r['active'] = '1' if r['activebool'] == 't' else '0'
        if r.get('active') == 't':
            r['active'] = '1'
        return r
    cols = {
        'film': ['film_id', 'title', 'description', 'release_year', 'language_id', 'original_language_id', 'rental_duration', 'rental_rate', 'length', 'replacement_cost', 'rating', 'special_features', 'last_update'],
        'customer': ['customer_id', 'store_id', 'first_name', 'last_name', 'email', 'address_id', 'active', 'create_date', 'last_update'],
        'staff': ['staff_id', 'first_name', 'last_name', 'address_id', 'email', 'store_id', 'active', 'username', 'password', 'last_update'],
    }
    for k in ORDER:
        body.append(inserts(k, cols.get(k, t[k][0]), keep[k], feat))
    pay = [r for k in sorted(keep) if k.startswith('payment') for r in keep[k]]
    body.append(inserts('payment', ['payment_id', 'customer_id', 'staff_id', 'rental_id', 'amount', 'payment_date'], pay))
    i = sql.index('SET SQL_MODE=@OLD_SQL_MODE')
    sql = sql[:i] + ''.join(body) + '\n' + sql[i:]
    open(out, 'w').write(sql)

if __name__ == '__main__':
    chin, pschema, pdata, sschema, outdir = sys.argv[1:6]
    for name, q in (('Sqlite', '[]'), ('PostgreSql', '""'), ('MySql', '``')):
        chinook(os.path.join(chin, 'Chinook_%s.sql' % name), os.path.join(outdir, 'chinook', name.lower() + '.sql'), q)
    t, keep = pagila(pschema, pdata, os.path.join(outdir, 'pagila', 'pagila.sql'))
    sakila(sschema, t, keep, os.path.join(outdir, 'sakila', 'mysql.sql'))
