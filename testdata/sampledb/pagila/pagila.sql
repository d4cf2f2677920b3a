--
-- PostgreSQL database dump
--

SET check_function_bodies = false;
SET client_min_messages = warning;

--
-- Name: SCHEMA public; Type: COMMENT; Schema: -; Owner: postgres
--



--
-- Name: actor_actor_id_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE actor_actor_id_seq
    INCREMENT BY 1
    NO MAXVALUE
    NO MINVALUE
    CACHE 1;





--
-- Name: actor; Type: TABLE; Schema: public; Owner: postgres; Tablespace: 
--

CREATE TABLE actor (
    actor_id integer DEFAULT nextval('actor_actor_id_seq'::regclass) NOT NULL,
    first_name character varying(45) NOT NULL,
    last_name character varying(45) NOT NULL,
    last_update timestamp without time zone DEFAULT now() NOT NULL
);



--
-- Name: mpaa_rating; Type: TYPE; Schema: public; Owner: postgres
--

CREATE TYPE mpaa_rating AS ENUM (
    'G',
    'PG',
    'PG-13',
    'R',
    'NC-17'
);



--
-- Name: year; Type: DOMAIN; Schema: public; Owner: postgres
--

CREATE DOMAIN year AS integer
	CONSTRAINT year_check CHECK (((VALUE >= 1901) AND (VALUE <= 2155)));



--
-- Name: _group_concat(text, text); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION _group_concat(text, text) RETURNS text
    AS $_$
SELECT CASE
  WHEN $2 IS NULL THEN $1
  WHEN $1 IS NULL THEN $2
  ELSE $1 || ', ' || $2
END
$_$
    LANGUAGE sql IMMUTABLE;



--
-- Name: group_concat(text); Type: AGGREGATE; Schema: public; Owner: postgres
--

CREATE AGGREGATE group_concat(text) (
    SFUNC = _group_concat,
    STYPE = text
);



--
-- Name: category_category_id_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE category_category_id_seq
    INCREMENT BY 1
    NO MAXVALUE
    NO MINVALUE
    CACHE 1;



--
-- Name: category; Type: TABLE; Schema: public; Owner: postgres; Tablespace: 
--

CREATE TABLE category (
    category_id integer DEFAULT nextval('category_category_id_seq'::regclass) NOT NULL,
    name character varying(25) NOT NULL,
    last_update timestamp without time zone DEFAULT now() NOT NULL
);



--
-- Name: film_film_id_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE film_film_id_seq
    INCREMENT BY 1
    NO MAXVALUE
    NO MINVALUE
    CACHE 1;



--
-- Name: film; Type: TABLE; Schema: public; Owner: postgres; Tablespace: 
--

CREATE TABLE film (
    film_id integer DEFAULT nextval('film_film_id_seq'::regclass) NOT NULL,
    title character varying(255) NOT NULL,
    description text,
    release_year year,
    language_id smallint NOT NULL,
    original_language_id smallint,
    rental_duration smallint DEFAULT 3 NOT NULL,
    rental_rate numeric(4,2) DEFAULT 4.99 NOT NULL,
    length smallint,
    replacement_cost numeric(5,2) DEFAULT 19.99 NOT NULL,
    rating mpaa_rating DEFAULT 'G'::mpaa_rating,
    last_update timestamp without time zone DEFAULT now() NOT NULL,
    special_features text[],
    fulltext tsvector NOT NULL
);



--
-- Name: film_actor; Type: TABLE; Schema: public; Owner: postgres; Tablespace: 
--

CREATE TABLE film_actor (
    actor_id smallint NOT NULL,
    film_id smallint NOT NULL,
    last_update timestamp without time zone DEFAULT now() NOT NULL
);



--
-- Name: film_category; Type: TABLE; Schema: public; Owner: postgres; Tablespace: 
--

CREATE TABLE film_category (
    film_id smallint NOT NULL,
    category_id smallint NOT NULL,
    last_update timestamp without time zone DEFAULT now() NOT NULL
);



--
-- Name: actor_info; Type: VIEW; Schema: public; Owner: postgres
--

CREATE VIEW actor_info AS
    SELECT a.actor_id, a.first_name, a.last_name, group_concat(DISTINCT (((c.name)::text || ': '::text) || (SELECT group_concat((f.title)::text) AS group_concat FROM ((film f JOIN film_category fc ON ((f.film_id = fc.film_id))) JOIN film_actor fa ON ((f.film_id = fa.film_id))) WHERE ((fc.category_id = c.category_id) AND (fa.actor_id = a.actor_id)) GROUP BY fa.actor_id))) AS film_info FROM (((actor a LEFT JOIN film_actor fa ON ((a.actor_id = fa.actor_id))) LEFT JOIN film_category fc ON ((fa.film_id = fc.film_id))) LEFT JOIN category c ON ((fc.category_id = c.category_id))) GROUP BY a.actor_id, a.first_name, a.last_name;



--
-- Name: address_address_id_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE address_address_id_seq
    INCREMENT BY 1
    NO MAXVALUE
    NO MINVALUE
    CACHE 1;



--
-- Name: address; Type: TABLE; Schema: public; Owner: postgres; Tablespace: 
--

CREATE TABLE address (
    address_id integer DEFAULT nextval('address_address_id_seq'::regclass) NOT NULL,
    address character varying(50) NOT NULL,
    address2 character varying(50),
    district character varying(20) NOT NULL,
    city_id smallint NOT NULL,
    postal_code character varying(10),
    phone character varying(20) NOT NULL,
    last_update timestamp without time zone DEFAULT now() NOT NULL
);



--
-- Name: city_city_id_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE city_city_id_seq
    INCREMENT BY 1
    NO MAXVALUE
    NO MINVALUE
    CACHE 1;



--
-- Name: city; Type: TABLE; Schema: public; Owner: postgres; Tablespace: 
--

CREATE TABLE city (
    city_id integer DEFAULT nextval('city_city_id_seq'::regclass) NOT NULL,
    city character varying(50) NOT NULL,
    country_id smallint NOT NULL,
    last_update timestamp without time zone DEFAULT now() NOT NULL
);



--
-- Name: country_country_id_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE country_country_id_seq
    INCREMENT BY 1
    NO MAXVALUE
    NO MINVALUE
    CACHE 1;



--
-- Name: country; Type: TABLE; Schema: public; Owner: postgres; Tablespace: 
--

CREATE TABLE country (
    country_id integer DEFAULT nextval('country_country_id_seq'::regclass) NOT NULL,
    country character varying(50) NOT NULL,
    last_update timestamp without time zone DEFAULT now() NOT NULL
);



--
-- Name: customer_customer_id_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE customer_customer_id_seq
    INCREMENT BY 1
    NO MAXVALUE
    NO MINVALUE
    CACHE 1;



--
-- Name: customer; Type: TABLE; Schema: public; Owner: postgres; Tablespace: 
--

CREATE TABLE customer (
    customer_id integer DEFAULT nextval('customer_customer_id_seq'::regclass) NOT NULL,
    store_id smallint NOT NULL,
    first_name character varying(45) NOT NULL,
    last_name character varying(45) NOT NULL,
    email character varying(50),
    address_id smallint NOT NULL,
    activebool boolean DEFAULT true NOT NULL,
    create_date date DEFAULT ('now'::text)::date NOT NULL,
    last_update timestamp without time zone DEFAULT now(),
    active integer
);



--
-- Name: customer_list; Type: VIEW; Schema: public; Owner: postgres
--

CREATE VIEW customer_list AS
    SELECT cu.customer_id AS id, (((cu.first_name)::text || ' '::text) || (cu.last_name)::text) AS name, a.address, a.postal_code AS "zip code", a.phone, city.city, country.country, CASE WHEN cu.activebool THEN 'active'::text ELSE ''::text END AS notes, cu.store_id AS sid FROM (((customer cu JOIN address a ON ((cu.address_id = a.address_id))) JOIN city ON ((a.city_id = city.city_id))) JOIN country ON ((city.country_id = country.country_id)));



--
-- Name: film_list; Type: VIEW; Schema: public; Owner: postgres
--

CREATE VIEW film_list AS
    SELECT film.film_id AS fid, film.title, film.description, category.name AS category, film.rental_rate AS price, film.length, film.rating, group_concat((((actor.first_name)::text || ' '::text) || (actor.last_name)::text)) AS actors FROM ((((category LEFT JOIN film_category ON ((category.category_id = film_category.category_id))) LEFT JOIN film ON ((film_category.film_id = film.film_id))) JOIN film_actor ON ((film.film_id = film_actor.film_id))) JOIN actor ON ((film_actor.actor_id = actor.actor_id))) GROUP BY film.film_id, film.title, film.description, category.name, film.rental_rate, film.length, film.rating;



--
-- Name: inventory_inventory_id_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE inventory_inventory_id_seq
    INCREMENT BY 1
    NO MAXVALUE
    NO MINVALUE
    CACHE 1;



--
-- Name: inventory; Type: TABLE; Schema: public; Owner: postgres; Tablespace: 
--

CREATE TABLE inventory (
    inventory_id integer DEFAULT nextval('inventory_inventory_id_seq'::regclass) NOT NULL,
    film_id smallint NOT NULL,
    store_id smallint NOT NULL,
    last_update timestamp without time zone DEFAULT now() NOT NULL
);



--
-- Name: language_language_id_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE language_language_id_seq
    INCREMENT BY 1
    NO MAXVALUE
    NO MINVALUE
    CACHE 1;



--
-- Name: language; Type: TABLE; Schema: public; Owner: postgres; Tablespace: 
--

CREATE TABLE language (
    language_id integer DEFAULT nextval('language_language_id_seq'::regclass) NOT NULL,
    name character(20) NOT NULL,
    last_update timestamp without time zone DEFAULT now() NOT NULL
);



--
-- Name: nicer_but_slower_film_list; Type: VIEW; Schema: public; Owner: postgres
--

CREATE VIEW nicer_but_slower_film_list AS
    SELECT film.film_id AS fid, film.title, film.description, category.name AS category, film.rental_rate AS price, film.length, film.rating, group_concat((((upper("substring"((actor.first_name)::text, 1, 1)) || lower("substring"((actor.first_name)::text, 2))) || upper("substring"((actor.last_name)::text, 1, 1))) || lower("substring"((actor.last_name)::text, 2)))) AS actors FROM ((((category LEFT JOIN film_category ON ((category.category_id = film_category.category_id))) LEFT JOIN film ON ((film_category.film_id = film.film_id))) JOIN film_actor ON ((film.film_id = film_actor.film_id))) JOIN actor ON ((film_actor.actor_id = actor.actor_id))) GROUP BY film.film_id, film.title, film.description, category.name, film.rental_rate, film.length, film.rating;



--
-- Name: payment_payment_id_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE payment_payment_id_seq
    INCREMENT BY 1
    NO MAXVALUE
    NO MINVALUE
    CACHE 1;



--
-- Name: payment; Type: TABLE; Schema: public; Owner: postgres; Tablespace: 
--

CREATE TABLE payment (
    payment_id integer DEFAULT nextval('payment_payment_id_seq'::regclass) NOT NULL,
    customer_id smallint NOT NULL,
    staff_id smallint NOT NULL,
    rental_id integer NOT NULL,
    amount numeric(5,2) NOT NULL,
    payment_date timestamp without time zone NOT NULL
);



--
-- Name: payment_p2007_01; Type: TABLE; Schema: public; Owner: postgres; Tablespace: 
--

CREATE TABLE payment_p2007_01 (CONSTRAINT payment_p2007_01_payment_date_check CHECK (((payment_date >= '2007-01-01 00:00:00'::timestamp without time zone) AND (payment_date < '2007-02-01 00:00:00'::timestamp without time zone)))
)
INHERITS (payment);



--
-- Name: payment_p2007_02; Type: TABLE; Schema: public; Owner: postgres; Tablespace: 
--

CREATE TABLE payment_p2007_02 (CONSTRAINT payment_p2007_02_payment_date_check CHECK (((payment_date >= '2007-02-01 00:00:00'::timestamp without time zone) AND (payment_date < '2007-03-01 00:00:00'::timestamp without time zone)))
)
INHERITS (payment);



--
-- Name: payment_p2007_03; Type: TABLE; Schema: public; Owner: postgres; Tablespace: 
--

CREATE TABLE payment_p2007_03 (CONSTRAINT payment_p2007_03_payment_date_check CHECK (((payment_date >= '2007-03-01 00:00:00'::timestamp without time zone) AND (payment_date < '2007-04-01 00:00:00'::timestamp without time zone)))
)
INHERITS (payment);



--
-- Name: payment_p2007_04; Type: TABLE; Schema: public; Owner: postgres; Tablespace: 
--

CREATE TABLE payment_p2007_04 (CONSTRAINT payment_p2007_04_payment_date_check CHECK (((payment_date >= '2007-04-01 00:00:00'::timestamp without time zone) AND (payment_date < '2007-05-01 00:00:00'::timestamp without time zone)))
)
INHERITS (payment);



--
-- Name: payment_p2007_05; Type: TABLE; Schema: public; Owner: postgres; Tablespace: 
--

CREATE TABLE payment_p2007_05 (CONSTRAINT payment_p2007_05_payment_date_check CHECK (((payment_date >= '2007-05-01 00:00:00'::timestamp without time zone) AND (payment_date < '2007-06-01 00:00:00'::timestamp without time zone)))
)
INHERITS (payment);



--
-- Name: payment_p2007_06; Type: TABLE; Schema: public; Owner: postgres; Tablespace: 
--

CREATE TABLE payment_p2007_06 (CONSTRAINT payment_p2007_06_payment_date_check CHECK (((payment_date >= '2007-06-01 00:00:00'::timestamp without time zone) AND (payment_date < '2007-07-01 00:00:00'::timestamp without time zone)))
)
INHERITS (payment);



--
-- Name: rental_rental_id_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE rental_rental_id_seq
    INCREMENT BY 1
    NO MAXVALUE
    NO MINVALUE
    CACHE 1;



--
-- Name: rental; Type: TABLE; Schema: public; Owner: postgres; Tablespace: 
--

CREATE TABLE rental (
    rental_id integer DEFAULT nextval('rental_rental_id_seq'::regclass) NOT NULL,
    rental_date timestamp without time zone NOT NULL,
    inventory_id integer NOT NULL,
    customer_id smallint NOT NULL,
    return_date timestamp without time zone,
    staff_id smallint NOT NULL,
    last_update timestamp without time zone DEFAULT now() NOT NULL
);



--
-- Name: sales_by_film_category; Type: VIEW; Schema: public; Owner: postgres
--

CREATE VIEW sales_by_film_category AS
    SELECT c.name AS category, sum(p.amount) AS total_sales FROM (((((payment p JOIN rental r ON ((p.rental_id = r.rental_id))) JOIN inventory i ON ((r.inventory_id = i.inventory_id))) JOIN film f ON ((i.film_id = f.film_id))) JOIN film_category fc ON ((f.film_id = fc.film_id))) JOIN category c ON ((fc.category_id = c.category_id))) GROUP BY c.name ORDER BY sum(p.amount) DESC;



--
-- Name: staff_staff_id_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE staff_staff_id_seq
    INCREMENT BY 1
    NO MAXVALUE
    NO MINVALUE
    CACHE 1;



--
-- Name: staff; Type: TABLE; Schema: public; Owner: postgres; Tablespace: 
--

CREATE TABLE staff (
    staff_id integer DEFAULT nextval('staff_staff_id_seq'::regclass) NOT NULL,
    first_name character varying(45) NOT NULL,
    last_name character varying(45) NOT NULL,
    address_id smallint NOT NULL,
    email character varying(50),
    store_id smallint NOT NULL,
    active boolean DEFAULT true NOT NULL,
    username character varying(16) NOT NULL,
    password character varying(40),
    last_update timestamp without time zone DEFAULT now() NOT NULL,
    picture bytea
);



--
-- Name: store_store_id_seq; Type: SEQUENCE; Schema: public; Owner: postgres
--

CREATE SEQUENCE store_store_id_seq
    INCREMENT BY 1
    NO MAXVALUE
    NO MINVALUE
    CACHE 1;



--
-- Name: store; Type: TABLE; Schema: public; Owner: postgres; Tablespace: 
--

CREATE TABLE store (
    store_id integer DEFAULT nextval('store_store_id_seq'::regclass) NOT NULL,
    manager_staff_id smallint NOT NULL,
    address_id smallint NOT NULL,
    last_update timestamp without time zone DEFAULT now() NOT NULL
);



--
-- Name: sales_by_store; Type: VIEW; Schema: public; Owner: postgres
--

CREATE VIEW sales_by_store AS
    SELECT (((c.city)::text || ','::text) || (cy.country)::text) AS store, (((m.first_name)::text || ' '::text) || (m.last_name)::text) AS manager, sum(p.amount) AS total_sales FROM (((((((payment p JOIN rental r ON ((p.rental_id = r.rental_id))) JOIN inventory i ON ((r.inventory_id = i.inventory_id))) JOIN store s ON ((i.store_id = s.store_id))) JOIN address a ON ((s.address_id = a.address_id))) JOIN city c ON ((a.city_id = c.city_id))) JOIN country cy ON ((c.country_id = cy.country_id))) JOIN staff m ON ((s.manager_staff_id = m.staff_id))) GROUP BY cy.country, c.city, s.store_id, m.first_name, m.last_name ORDER BY cy.country, c.city;



--
-- Name: staff_list; Type: VIEW; Schema: public; Owner: postgres
--

CREATE VIEW staff_list AS
    SELECT s.staff_id AS id, (((s.first_name)::text || ' '::text) || (s.last_name)::text) AS name, a.address, a.postal_code AS "zip code", a.phone, city.city, country.country, s.store_id AS sid FROM (((staff s JOIN address a ON ((s.address_id = a.address_id))) JOIN city ON ((a.city_id = city.city_id))) JOIN country ON ((city.country_id = country.country_id)));



--
-- Name: film_in_stock(integer, integer); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION film_in_stock(p_film_id integer, p_store_id integer, OUT p_film_count integer) RETURNS SETOF integer
    AS $_$
     SELECT inventory_id
     FROM inventory
     WHERE film_id = $1
     AND store_id = $2
     AND inventory_in_stock(inventory_id);
$_$
    LANGUAGE sql;



--
-- Name: film_not_in_stock(integer, integer); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION film_not_in_stock(p_film_id integer, p_store_id integer, OUT p_film_count integer) RETURNS SETOF integer
    AS $_$
    SELECT inventory_id
    FROM inventory
    WHERE film_id = $1
    AND store_id = $2
    AND NOT inventory_in_stock(inventory_id);
$_$
    LANGUAGE sql;



--
-- Name: get_customer_balance(integer, timestamp without time zone); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION get_customer_balance(p_customer_id integer, p_effective_date timestamp without time zone) RETURNS numeric
    AS $$
       --#OK, WE NEED TO CALCULATE THE CURRENT BALANCE GIVEN A CUSTOMER_ID AND A DATE
       --#THAT WE WANT THE BALANCE TO BE EFFECTIVE FOR. THE BALANCE IS:
       --#   1) RENTAL FEES FOR ALL PREVIOUS RENTALS
       --#   2) ONE DOLLAR FOR EVERY DAY THE PREVIOUS RENTALS ARE OVERDUE
       --#   3) IF A FILM IS MORE THAN RENTAL_DURATION * 2 OVERDUE, CHARGE THE REPLACEMENT_COST
       --#   4) SUBTRACT ALL PAYMENTS MADE BEFORE THE DATE SPECIFIED
DECLARE
    v_rentfees DECIMAL(5,2); --#FEES PAID TO RENT THE VIDEOS INITIALLY
    v_overfees INTEGER;      --#LATE FEES FOR PRIOR RENTALS
    v_payments DECIMAL(5,2); --#SUM OF PAYMENTS MADE PREVIOUSLY
BEGIN
    SELECT COALESCE(SUM(film.rental_rate),0) INTO v_rentfees
    FROM film, inventory, rental
    WHERE film.film_id = inventory.film_id
      AND inventory.inventory_id = rental.inventory_id
      AND rental.rental_date <= p_effective_date
      AND rental.customer_id = p_customer_id;

    SELECT COALESCE(SUM(IF((rental.return_date - rental.rental_date) > (film.rental_duration * '1 day'::interval),
        ((rental.return_date - rental.rental_date) - (film.rental_duration * '1 day'::interval)),0)),0) INTO v_overfees
    FROM rental, inventory, film
    WHERE film.film_id = inventory.film_id
      AND inventory.inventory_id = rental.inventory_id
      AND rental.rental_date <= p_effective_date
      AND rental.customer_id = p_customer_id;

    SELECT COALESCE(SUM(payment.amount),0) INTO v_payments
    FROM payment
    WHERE payment.payment_date <= p_effective_date
    AND payment.customer_id = p_customer_id;

    RETURN v_rentfees + v_overfees - v_payments;
END
$$
    LANGUAGE plpgsql;



--
-- Name: inventory_held_by_customer(integer); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION inventory_held_by_customer(p_inventory_id integer) RETURNS integer
    AS $$
DECLARE
    v_customer_id INTEGER;
BEGIN

  SELECT customer_id INTO v_customer_id
  FROM rental
  WHERE return_date IS NULL
  AND inventory_id = p_inventory_id;

  RETURN v_customer_id;
END $$
    LANGUAGE plpgsql;



--
-- Name: inventory_in_stock(integer); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION inventory_in_stock(p_inventory_id integer) RETURNS boolean
    AS $$
DECLARE
    v_rentals INTEGER;
    v_out     INTEGER;
BEGIN
    -- AN ITEM IS IN-STOCK IF THERE ARE EITHER NO ROWS IN THE rental TABLE
    -- FOR THE ITEM OR ALL ROWS HAVE return_date POPULATED

    SELECT count(*) INTO v_rentals
    FROM rental
    WHERE inventory_id = p_inventory_id;

    IF v_rentals = 0 THEN
      RETURN TRUE;
    END IF;

    SELECT COUNT(rental_id) INTO v_out
    FROM inventory LEFT JOIN rental USING(inventory_id)
    WHERE inventory.inventory_id = p_inventory_id
    AND rental.return_date IS NULL;

    IF v_out > 0 THEN
      RETURN FALSE;
    ELSE
      RETURN TRUE;
    END IF;
END $$
    LANGUAGE plpgsql;



--
-- Name: last_day(timestamp without time zone); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION last_day(timestamp without time zone) RETURNS date
    AS $_$
  SELECT CASE
    WHEN EXTRACT(MONTH FROM $1) = 12 THEN
      (((EXTRACT(YEAR FROM $1) + 1) operator(pg_catalog.||) '-01-01')::date - INTERVAL '1 day')::date
    ELSE
      ((EXTRACT(YEAR FROM $1) operator(pg_catalog.||) '-' operator(pg_catalog.||) (EXTRACT(MONTH FROM $1) + 1) operator(pg_catalog.||) '-01')::date - INTERVAL '1 day')::date
    END
$_$
    LANGUAGE sql IMMUTABLE STRICT;



--
-- Name: last_updated(); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION last_updated() RETURNS trigger
    AS $$
BEGIN
    NEW.last_update = CURRENT_TIMESTAMP;
    RETURN NEW;
END $$
    LANGUAGE plpgsql;



--
-- Name: rewards_report(integer, numeric); Type: FUNCTION; Schema: public; Owner: postgres
--

CREATE FUNCTION rewards_report(min_monthly_purchases integer, min_dollar_amount_purchased numeric) RETURNS SETOF customer
    AS $_$
DECLARE
    last_month_start DATE;
    last_month_end DATE;
rr RECORD;
tmpSQL TEXT;
BEGIN

    /* Some sanity checks... */
    IF min_monthly_purchases = 0 THEN
        RAISE EXCEPTION 'Minimum monthly purchases parameter must be > 0';
    END IF;
    IF min_dollar_amount_purchased = 0.00 THEN
        RAISE EXCEPTION 'Minimum monthly dollar amount purchased parameter must be > $0.00';
    END IF;

    last_month_start := CURRENT_DATE - '3 month'::interval;
    last_month_start := to_date((extract(YEAR FROM last_month_start) || '-' || extract(MONTH FROM last_month_start) || '-01'),'YYYY-MM-DD');
    last_month_end := LAST_DAY(last_month_start);

    /*
    Create a temporary storage area for Customer IDs.
    */
    CREATE TEMPORARY TABLE tmpCustomer (customer_id INTEGER NOT NULL PRIMARY KEY);

    /*
    Find all customers meeting the monthly purchase requirements
    */

    tmpSQL := 'INSERT INTO tmpCustomer (customer_id)
        SELECT p.customer_id
        FROM payment AS p
        WHERE DATE(p.payment_date) BETWEEN '||quote_literal(last_month_start) ||' AND '|| quote_literal(last_month_end) || '
        GROUP BY customer_id
        HAVING SUM(p.amount) > '|| min_dollar_amount_purchased || '
        AND COUNT(customer_id) > ' ||min_monthly_purchases ;

    EXECUTE tmpSQL;

    /*
    Output ALL customer information of matching rewardees.
    Customize output as needed.
    */
    FOR rr IN EXECUTE 'SELECT c.* FROM tmpCustomer AS t INNER JOIN customer AS c ON t.customer_id = c.customer_id' LOOP
        RETURN NEXT rr;
    END LOOP;

    /* Clean up */
    tmpSQL := 'DROP TABLE tmpCustomer';
    EXECUTE tmpSQL;

RETURN;
END
$_$
    LANGUAGE plpgsql SECURITY DEFINER;



--
-- Name: actor_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres; Tablespace: 

-- Data: a subset of pagila-data.sql (films 1-30, customers 1-25 and what they reference).
INSERT INTO language (language_id, name, last_update) VALUES
  (1, 'English             ', '2006-02-15 10:02:19'),
  (2, 'Italian             ', '2006-02-15 10:02:19'),
  (3, 'Japanese            ', '2006-02-15 10:02:19'),
  (4, 'Mandarin            ', '2006-02-15 10:02:19'),
  (5, 'French              ', '2006-02-15 10:02:19'),
  (6, 'German              ', '2006-02-15 10:02:19');
INSERT INTO category (category_id, name, last_update) VALUES
  (1, 'Action', '2006-02-15 09:46:27'),
  (2, 'Animation', '2006-02-15 09:46:27'),
  (3, 'Children', '2006-02-15 09:46:27'),
  (4, 'Classics', '2006-02-15 09:46:27'),
  (5, 'Comedy', '2006-02-15 09:46:27'),
  (6, 'Documentary', '2006-02-15 09:46:27'),
  (7, 'Drama', '2006-02-15 09:46:27'),
  (8, 'Family', '2006-02-15 09:46:27'),
  (9, 'Foreign', '2006-02-15 09:46:27'),
  (10, 'Games', '2006-02-15 09:46:27'),
  (11, 'Horror', '2006-02-15 09:46:27'),
  (12, 'Music', '2006-02-15 09:46:27'),
  (13, 'New', '2006-02-15 09:46:27'),
  (14, 'Sci-Fi', '2006-02-15 09:46:27'),
  (15, 'Sports', '2006-02-15 09:46:27'),
  (16, 'Travel', '2006-02-15 09:46:27');
INSERT INTO actor (actor_id, first_name, last_name, last_update) VALUES
  (1, 'PENELOPE', 'GUINESS', '2006-02-15 09:34:33'),
  (2, 'NICK', 'WAHLBERG', '2006-02-15 09:34:33'),
  (3, 'ED', 'CHASE', '2006-02-15 09:34:33'),
  (4, 'JENNIFER', 'DAVIS', '2006-02-15 09:34:33'),
  (5, 'JOHNNY', 'LOLLOBRIGIDA', '2006-02-15 09:34:33'),
  (6, 'BETTE', 'NICHOLSON', '2006-02-15 09:34:33'),
  (7, 'GRACE', 'MOSTEL', '2006-02-15 09:34:33'),
  (9, 'JOE', 'SWANK', '2006-02-15 09:34:33'),
  (10, 'CHRISTIAN', 'GABLE', '2006-02-15 09:34:33'),
  (12, 'KARL', 'BERRY', '2006-02-15 09:34:33'),
  (13, 'UMA', 'WOOD', '2006-02-15 09:34:33'),
  (19, 'BOB', 'FAWCETT', '2006-02-15 09:34:33'),
  (20, 'LUCILLE', 'TRACY', '2006-02-15 09:34:33'),
  (21, 'KIRSTEN', 'PALTROW', '2006-02-15 09:34:33'),
  (22, 'ELVIS', 'MARX', '2006-02-15 09:34:33'),
  (23, 'SANDRA', 'KILMER', '2006-02-15 09:34:33'),
  (24, 'CAMERON', 'STREEP', '2006-02-15 09:34:33'),
  (25, 'KEVIN', 'BLOOM', '2006-02-15 09:34:33'),
  (26, 'RIP', 'CRAWFORD', '2006-02-15 09:34:33'),
  (27, 'JULIA', 'MCQUEEN', '2006-02-15 09:34:33'),
  (28, 'WOODY', 'HOFFMAN', '2006-02-15 09:34:33'),
  (29, 'ALEC', 'WAYNE', '2006-02-15 09:34:33'),
  (30, 'SANDRA', 'PECK', '2006-02-15 09:34:33'),
  (35, 'JUDY', 'DEAN', '2006-02-15 09:34:33'),
  (36, 'BURT', 'DUKAKIS', '2006-02-15 09:34:33'),
  (37, 'VAL', 'BOLGER', '2006-02-15 09:34:33'),
  (38, 'TOM', 'MCKELLEN', '2006-02-15 09:34:33'),
  (40, 'JOHNNY', 'CAGE', '2006-02-15 09:34:33'),
  (41, 'JODIE', 'DEGENERES', '2006-02-15 09:34:33'),
  (42, 'TOM', 'MIRANDA', '2006-02-15 09:34:33'),
  (43, 'KIRK', 'JOVOVICH', '2006-02-15 09:34:33'),
  (45, 'REESE', 'KILMER', '2006-02-15 09:34:33'),
  (47, 'JULIA', 'BARRYMORE', '2006-02-15 09:34:33'),
  (51, 'GARY', 'PHOENIX', '2006-02-15 09:34:33'),
  (52, 'CARMEN', 'HUNT', '2006-02-15 09:34:33'),
  (53, 'MENA', 'TEMPLE', '2006-02-15 09:34:33'),
  (55, 'FAY', 'KILMER', '2006-02-15 09:34:33'),
  (57, 'JUDE', 'CRUISE', '2006-02-15 09:34:33'),
  (59, 'DUSTIN', 'TAUTOU', '2006-02-15 09:34:33'),
  (62, 'JAYNE', 'NEESON', '2006-02-15 09:34:33'),
  (64, 'RAY', 'JOHANSSON', '2006-02-15 09:34:33'),
  (67, 'JESSICA', 'BAILEY', '2006-02-15 09:34:33'),
  (68, 'RIP', 'WINSLET', '2006-02-15 09:34:33'),
  (69, 'KENNETH', 'PALTROW', '2006-02-15 09:34:33'),
  (71, 'ADAM', 'GRANT', '2006-02-15 09:34:33'),
  (74, 'MILLA', 'KEITEL', '2006-02-15 09:34:33'),
  (75, 'BURT', 'POSEY', '2006-02-15 09:34:33'),
  (77, 'CARY', 'MCCONAUGHEY', '2006-02-15 09:34:33'),
  (81, 'SCARLETT', 'DAMON', '2006-02-15 09:34:33'),
  (82, 'WOODY', 'JOLIE', '2006-02-15 09:34:33'),
  (84, 'JAMES', 'PITT', '2006-02-15 09:34:33'),
  (85, 'MINNIE', 'ZELLWEGER', '2006-02-15 09:34:33'),
  (88, 'KENNETH', 'PESCI', '2006-02-15 09:34:33'),
  (90, 'SEAN', 'GUINESS', '2006-02-15 09:34:33'),
  (91, 'CHRISTOPHER', 'BERRY', '2006-02-15 09:34:33'),
  (94, 'KENNETH', 'TORN', '2006-02-15 09:34:33'),
  (95, 'DARYL', 'WAHLBERG', '2006-02-15 09:34:33'),
  (96, 'GENE', 'WILLIS', '2006-02-15 09:34:33'),
  (99, 'JIM', 'MOSTEL', '2006-02-15 09:34:33'),
  (100, 'SPENCER', 'DEPP', '2006-02-15 09:34:33'),
  (102, 'WALTER', 'TORN', '2006-02-15 09:34:33'),
  (103, 'MATTHEW', 'LEIGH', '2006-02-15 09:34:33'),
  (104, 'PENELOPE', 'CRONYN', '2006-02-15 09:34:33'),
  (105, 'SIDNEY', 'CROWE', '2006-02-15 09:34:33'),
  (108, 'WARREN', 'NOLTE', '2006-02-15 09:34:33'),
  (109, 'SYLVESTER', 'DERN', '2006-02-15 09:34:33'),
  (110, 'SUSAN', 'DAVIS', '2006-02-15 09:34:33'),
  (114, 'MORGAN', 'MCDORMAND', '2006-02-15 09:34:33'),
  (117, 'RENEE', 'TRACY', '2006-02-15 09:34:33'),
  (119, 'WARREN', 'JACKMAN', '2006-02-15 09:34:33'),
  (122, 'SALMA', 'NOLTE', '2006-02-15 09:34:33'),
  (123, 'JULIANNE', 'DENCH', '2006-02-15 09:34:33'),
  (124, 'SCARLETT', 'BENING', '2006-02-15 09:34:33'),
  (126, 'FRANCES', 'TOMEI', '2006-02-15 09:34:33'),
  (128, 'CATE', 'MCQUEEN', '2006-02-15 09:34:33'),
  (130, 'GRETA', 'KEITEL', '2006-02-15 09:34:33'),
  (133, 'RICHARD', 'PENN', '2006-02-15 09:34:33'),
  (136, 'ED', 'MANSFIELD', '2006-02-15 09:34:33'),
  (137, 'MORGAN', 'WILLIAMS', '2006-02-15 09:34:33'),
  (138, 'LUCILLE', 'DEE', '2006-02-15 09:34:33'),
  (139, 'EWAN', 'GOODING', '2006-02-15 09:34:33'),
  (140, 'WHOOPI', 'HURT', '2006-02-15 09:34:33'),
  (142, 'JADA', 'RYDER', '2006-02-15 09:34:33'),
  (144, 'ANGELA', 'WITHERSPOON', '2006-02-15 09:34:33'),
  (146, 'ALBERT', 'JOHANSSON', '2006-02-15 09:34:33'),
  (147, 'FAY', 'WINSLET', '2006-02-15 09:34:33'),
  (148, 'EMILY', 'DEE', '2006-02-15 09:34:33'),
  (150, 'JAYNE', 'NOLTE', '2006-02-15 09:34:33'),
  (154, 'MERYL', 'GIBSON', '2006-02-15 09:34:33'),
  (155, 'IAN', 'TANDY', '2006-02-15 09:34:33'),
  (157, 'GRETA', 'MALDEN', '2006-02-15 09:34:33'),
  (159, 'LAURA', 'BRODY', '2006-02-15 09:34:33'),
  (160, 'CHRIS', 'DEPP', '2006-02-15 09:34:33'),
  (162, 'OPRAH', 'KILMER', '2006-02-15 09:34:33'),
  (163, 'CHRISTOPHER', 'WEST', '2006-02-15 09:34:33'),
  (164, 'HUMPHREY', 'WILLIS', '2006-02-15 09:34:33'),
  (166, 'NICK', 'DEGENERES', '2006-02-15 09:34:33'),
  (167, 'LAURENCE', 'BULLOCK', '2006-02-15 09:34:33'),
  (169, 'KENNETH', 'HOFFMAN', '2006-02-15 09:34:33'),
  (170, 'MENA', 'HOPPER', '2006-02-15 09:34:33'),
  (174, 'MICHAEL', 'BENING', '2006-02-15 09:34:33'),
  (175, 'WILLIAM', 'HACKMAN', '2006-02-15 09:34:33'),
  (176, 'JON', 'CHASE', '2006-02-15 09:34:33'),
  (177, 'GENE', 'MCKELLEN', '2006-02-15 09:34:33'),
  (178, 'LISA', 'MONROE', '2006-02-15 09:34:33'),
  (179, 'ED', 'GUINESS', '2006-02-15 09:34:33'),
  (180, 'JEFF', 'SILVERSTONE', '2006-02-15 09:34:33'),
  (181, 'MATTHEW', 'CARREY', '2006-02-15 09:34:33'),
  (185, 'MICHAEL', 'BOLGER', '2006-02-15 09:34:33'),
  (187, 'RENEE', 'BALL', '2006-02-15 09:34:33'),
  (188, 'ROCK', 'DUKAKIS', '2006-02-15 09:34:33'),
  (191, 'GREGORY', 'GOODING', '2006-02-15 09:34:33'),
  (192, 'JOHN', 'SUVARI', '2006-02-15 09:34:33'),
  (194, 'MERYL', 'ALLEN', '2006-02-15 09:34:33'),
  (197, 'REESE', 'WEST', '2006-02-15 09:34:33'),
  (198, 'MARY', 'KEITEL', '2006-02-15 09:34:33'),
  (200, 'THORA', 'TEMPLE', '2006-02-15 09:34:33');
INSERT INTO country (country_id, country, last_update) VALUES
  (6, 'Argentina', '2006-02-15 09:44:00'),
  (8, 'Australia', '2006-02-15 09:44:00'),
  (12, 'Bangladesh', '2006-02-15 09:44:00'),
  (20, 'Canada', '2006-02-15 09:44:00'),
  (39, 'Greece', '2006-02-15 09:44:00'),
  (44, 'India', '2006-02-15 09:44:00'),
  (46, 'Iran', '2006-02-15 09:44:00'),
  (50, 'Japan', '2006-02-15 09:44:00'),
  (54, 'Latvia', '2006-02-15 09:44:00'),
  (62, 'Morocco', '2006-02-15 09:44:00'),
  (64, 'Myanmar', '2006-02-15 09:44:00'),
  (68, 'New Zealand', '2006-02-15 09:44:00'),
  (69, 'Nigeria', '2006-02-15 09:44:00'),
  (71, 'Oman', '2006-02-15 09:44:00'),
  (72, 'Pakistan', '2006-02-15 09:44:00'),
  (80, 'Russian Federation', '2006-02-15 09:44:00'),
  (85, 'South Africa', '2006-02-15 09:44:00'),
  (92, 'Taiwan', '2006-02-15 09:44:00'),
  (97, 'Turkey', '2006-02-15 09:44:00'),
  (102, 'United Kingdom', '2006-02-15 09:44:00'),
  (103, 'United States', '2006-02-15 09:44:00'),
  (108, 'Yugoslavia', '2006-02-15 09:44:00');
INSERT INTO city (city_id, city, country_id, last_update) VALUES
  (38, 'Athenai', 39, '2006-02-15 09:45:25'),
  (76, 'Bhopal', 44, '2006-02-15 09:45:25'),
  (120, 'Citrus Heights', 103, '2006-02-15 09:45:25'),
  (128, 'Crdoba', 6, '2006-02-15 09:45:25'),
  (156, 'Elista', 80, '2006-02-15 09:45:25'),
  (162, 'Esfahan', 46, '2006-02-15 09:45:25'),
  (200, 'Hamilton', 68, '2006-02-15 09:45:25'),
  (252, 'Kaduna', 69, '2006-02-15 09:45:25'),
  (267, 'Kimberley', 85, '2006-02-15 09:45:25'),
  (280, 'Kragujevac', 108, '2006-02-15 09:45:25'),
  (295, 'Laredo', 103, '2006-02-15 09:45:25'),
  (300, 'Lethbridge', 20, '2006-02-15 09:45:25'),
  (303, 'Liepaja', 54, '2006-02-15 09:45:25'),
  (327, 'Mardan', 72, '2006-02-15 09:45:25'),
  (329, 'Masqat', 71, '2006-02-15 09:45:25'),
  (349, 'Myingyan', 64, '2006-02-15 09:45:25'),
  (361, 'Nantou', 92, '2006-02-15 09:45:25'),
  (384, 'Osmaniye', 97, '2006-02-15 09:45:25'),
  (440, 'Sagamihara', 50, '2006-02-15 09:45:25'),
  (443, 'Sal', 62, '2006-02-15 09:45:25'),
  (449, 'San Bernardino', 103, '2006-02-15 09:45:25'),
  (463, 'Sasebo', 50, '2006-02-15 09:45:25'),
  (472, 'Shikarpur', 72, '2006-02-15 09:45:25'),
  (495, 'Southend-on-Sea', 102, '2006-02-15 09:45:25'),
  (525, 'Tangail', 12, '2006-02-15 09:45:25'),
  (576, 'Woodridge', 8, '2006-02-15 09:45:25'),
  (582, 'Yamuna Nagar', 44, '2006-02-15 09:45:25');
INSERT INTO address (address_id, address, address2, district, city_id, postal_code, phone, last_update) VALUES
  (1, '47 MySakila Drive', NULL, 'Alberta', 300, '', '', '2006-02-15 09:45:30'),
  (2, '28 MySQL Boulevard', NULL, 'QLD', 576, '', '', '2006-02-15 09:45:30'),
  (3, '23 Workhaven Lane', NULL, 'Alberta', 300, '', '14033335568', '2006-02-15 09:45:30'),
  (4, '1411 Lillydale Drive', NULL, 'QLD', 576, '', '6172235589', '2006-02-15 09:45:30'),
  (5, '1913 Hanoi Way', '', 'Nagasaki', 463, '35200', '28303384290', '2006-02-15 09:45:30'),
  (6, '1121 Loja Avenue', '', 'California', 449, '17886', '838635286649', '2006-02-15 09:45:30'),
  (7, '692 Joliet Street', '', 'Attika', 38, '83579', '448477190408', '2006-02-15 09:45:30'),
  (8, '1566 Inegl Manor', '', 'Mandalay', 349, '53561', '705814003527', '2006-02-15 09:45:30'),
  (9, '53 Idfu Parkway', '', 'Nantou', 361, '42399', '10655648674', '2006-02-15 09:45:30'),
  (10, '1795 Santiago de Compostela Way', '', 'Texas', 295, '18743', '860452626434', '2006-02-15 09:45:30'),
  (11, '900 Santiago de Compostela Parkway', '', 'Central Serbia', 280, '93896', '716571220373', '2006-02-15 09:45:30'),
  (12, '478 Joliet Way', '', 'Hamilton', 200, '77948', '657282285970', '2006-02-15 09:45:30'),
  (13, '613 Korolev Drive', '', 'Masqat', 329, '45844', '380657522649', '2006-02-15 09:45:30'),
  (14, '1531 Sal Drive', '', 'Esfahan', 162, '53628', '648856936185', '2006-02-15 09:45:30'),
  (15, '1542 Tarlac Parkway', '', 'Kanagawa', 440, '1027', '635297277345', '2006-02-15 09:45:30'),
  (16, '808 Bhopal Manor', '', 'Haryana', 582, '10672', '465887807014', '2006-02-15 09:45:30'),
  (17, '270 Amroha Parkway', '', 'Osmaniye', 384, '29610', '695479687538', '2006-02-15 09:45:30'),
  (18, '770 Bydgoszcz Avenue', '', 'California', 120, '16266', '517338314235', '2006-02-15 09:45:30'),
  (19, '419 Iligan Lane', '', 'Madhya Pradesh', 76, '72878', '990911107354', '2006-02-15 09:45:30'),
  (20, '360 Toulouse Parkway', '', 'England', 495, '54308', '949312333307', '2006-02-15 09:45:30'),
  (21, '270 Toulon Boulevard', '', 'Kalmykia', 156, '81766', '407752414682', '2006-02-15 09:45:30'),
  (22, '320 Brest Avenue', '', 'Kaduna', 252, '43331', '747791594069', '2006-02-15 09:45:30'),
  (23, '1417 Lancaster Avenue', '', 'Northern Cape', 267, '72192', '272572357893', '2006-02-15 09:45:30'),
  (24, '1688 Okara Way', '', 'Nothwest Border Prov', 327, '21954', '144453869132', '2006-02-15 09:45:30'),
  (25, '262 A Corua (La Corua) Parkway', '', 'Dhaka', 525, '34418', '892775750063', '2006-02-15 09:45:30'),
  (26, '28 Charlotte Amalie Street', '', 'Rabat-Sal-Zammour-Z', 443, '37551', '161968374323', '2006-02-15 09:45:30'),
  (27, '1780 Hino Boulevard', '', 'Liepaja', 303, '7716', '902731229323', '2006-02-15 09:45:30'),
  (28, '96 Tafuna Way', '', 'Crdoba', 128, '99865', '934730187245', '2006-02-15 09:45:30'),
  (29, '934 San Felipe de Puerto Plata Street', '', 'Sind', 472, '99780', '196495945706', '2006-02-15 09:45:30');
INSERT INTO film (film_id, title, description, release_year, language_id, original_language_id, rental_duration, rental_rate, length, replacement_cost, rating, last_update, special_features, fulltext) VALUES
  (1, 'ACADEMY DINOSAUR', 'A Epic Drama of a Feminist And a Mad Scientist who must Battle a Teacher in The Canadian Rockies', 2006, 1, NULL, 6, 0.99, 86, 20.99, 'PG', '2007-09-10 17:46:03.905795', '{"Deleted Scenes","Behind the Scenes"}', '''mad'':11 ''epic'':4 ''must'':14 ''battl'':15 ''drama'':5 ''rocki'':21 ''academi'':1 ''teacher'':17 ''canadian'':20 ''dinosaur'':2 ''feminist'':8 ''scientist'':12'),
  (2, 'ACE GOLDFINGER', 'A Astounding Epistle of a Database Administrator And a Explorer who must Find a Car in Ancient China', 2006, 1, NULL, 3, 4.99, 48, 12.99, 'G', '2007-09-10 17:46:03.905795', '{Trailers,"Deleted Scenes"}', '''ace'':1 ''car'':17 ''find'':15 ''must'':14 ''china'':20 ''epistl'':5 ''explor'':12 ''ancient'':19 ''astound'':4 ''databas'':8 ''goldfing'':2 ''administr'':9'),
  (3, 'ADAPTATION HOLES', 'A Astounding Reflection of a Lumberjack And a Car who must Sink a Lumberjack in A Baloon Factory', 2006, 1, NULL, 7, 2.99, 50, 18.99, 'NC-17', '2007-09-10 17:46:03.905795', '{Trailers,"Deleted Scenes"}', '''car'':11 ''hole'':2 ''must'':13 ''sink'':14 ''adapt'':1 ''baloon'':19 ''astound'':4 ''factori'':20 ''reflect'':5 ''lumberjack'':8,16'),
  (4, 'AFFAIR PREJUDICE', 'A Fanciful Documentary of a Frisbee And a Lumberjack who must Chase a Monkey in A Shark Tank', 2006, 1, NULL, 5, 2.99, 117, 26.99, 'G', '2007-09-10 17:46:03.905795', '{Commentaries,"Behind the Scenes"}', '''must'':13 ''tank'':20 ''chase'':14 ''fanci'':4 ''shark'':19 ''affair'':1 ''frisbe'':8 ''monkey'':16 ''prejudic'':2 ''lumberjack'':11 ''documentari'':5'),
  (5, 'AFRICAN EGG', 'A Fast-Paced Documentary of a Pastry Chef And a Dentist who must Pursue a Forensic Psychologist in The Gulf of Mexico', 2006, 1, NULL, 6, 2.99, 130, 22.99, 'G', '2007-09-10 17:46:03.905795', '{"Deleted Scenes"}', '''egg'':2 ''chef'':11 ''fast'':5 ''gulf'':23 ''must'':16 ''pace'':6 ''pursu'':17 ''forens'':19 ''mexico'':25 ''pastri'':10 ''african'':1 ''dentist'':14 ''fast-pac'':4 ''documentari'':7 ''psychologist'':20'),
  (6, 'AGENT TRUMAN', 'A Intrepid Panorama of a Robot And a Boy who must Escape a Sumo Wrestler in Ancient China', 2006, 1, NULL, 3, 2.99, 169, 17.99, 'PG', '2007-09-10 17:46:03.905795', '{"Deleted Scenes"}', '''boy'':11 ''must'':13 ''sumo'':16 ''agent'':1 ''china'':20 ''escap'':14 ''robot'':8 ''truman'':2 ''ancient'':19 ''intrepid'':4 ''panorama'':5 ''wrestler'':17'),
  (7, 'AIRPLANE SIERRA', 'A Touching Saga of a Hunter And a Butler who must Discover a Butler in A Jet Boat', 2006, 1, NULL, 6, 4.99, 62, 28.99, 'PG-13', '2007-09-10 17:46:03.905795', '{Trailers,"Deleted Scenes"}', '''jet'':19 ''boat'':20 ''must'':13 ''saga'':5 ''touch'':4 ''butler'':11,16 ''discov'':14 ''hunter'':8 ''sierra'':2 ''airplan'':1'),
  (8, 'AIRPORT POLLOCK', 'A Epic Tale of a Moose And a Girl who must Confront a Monkey in Ancient India', 2006, 1, NULL, 6, 4.99, 54, 15.99, 'R', '2007-09-10 17:46:03.905795', '{Trailers}', '''epic'':4 ''girl'':11 ''moos'':8 ''must'':13 ''tale'':5 ''india'':19 ''monkey'':16 ''airport'':1 ''ancient'':18 ''pollock'':2 ''confront'':14'),
  (9, 'ALABAMA DEVIL', 'A Thoughtful Panorama of a Database Administrator And a Mad Scientist who must Outgun a Mad Scientist in A Jet Boat', 2006, 1, NULL, 3, 2.99, 114, 21.99, 'PG-13', '2007-09-10 17:46:03.905795', '{Trailers,"Deleted Scenes"}', '''jet'':22 ''mad'':12,18 ''boat'':23 ''must'':15 ''devil'':2 ''outgun'':16 ''alabama'':1 ''databas'':8 ''thought'':4 ''panorama'':5 ''administr'':9 ''scientist'':13,19'),
  (10, 'ALADDIN CALENDAR', 'A Action-Packed Tale of a Man And a Lumberjack who must Reach a Feminist in Ancient China', 2006, 1, NULL, 6, 4.99, 63, 24.99, 'NC-17', '2007-09-10 17:46:03.905795', '{Trailers,"Deleted Scenes"}', '''man'':10 ''must'':15 ''pack'':6 ''tale'':7 ''china'':21 ''reach'':16 ''action'':5 ''aladdin'':1 ''ancient'':20 ''calendar'':2 ''feminist'':18 ''lumberjack'':13 ''action-pack'':4'),
  (11, 'ALAMO VIDEOTAPE', 'A Boring Epistle of a Butler And a Cat who must Fight a Pastry Chef in A MySQL Convention', 2006, 1, NULL, 6, 0.99, 126, 16.99, 'G', '2007-09-10 17:46:03.905795', '{Commentaries,"Behind the Scenes"}', '''cat'':11 ''bore'':4 ''chef'':17 ''must'':13 ''alamo'':1 ''fight'':14 ''mysql'':20 ''butler'':8 ''epistl'':5 ''pastri'':16 ''convent'':21 ''videotap'':2'),
  (12, 'ALASKA PHANTOM', 'A Fanciful Saga of a Hunter And a Pastry Chef who must Vanquish a Boy in Australia', 2006, 1, NULL, 6, 0.99, 136, 22.99, 'PG', '2007-09-10 17:46:03.905795', '{Commentaries,"Deleted Scenes"}', '''boy'':17 ''chef'':12 ''must'':14 ''saga'':5 ''fanci'':4 ''alaska'':1 ''hunter'':8 ''pastri'':11 ''phantom'':2 ''vanquish'':15 ''australia'':19'),
  (13, 'ALI FOREVER', 'A Action-Packed Drama of a Dentist And a Crocodile who must Battle a Feminist in The Canadian Rockies', 2006, 1, NULL, 4, 4.99, 150, 21.99, 'PG', '2007-09-10 17:46:03.905795', '{"Deleted Scenes","Behind the Scenes"}', '''ali'':1 ''must'':15 ''pack'':6 ''battl'':16 ''drama'':7 ''forev'':2 ''rocki'':22 ''action'':5 ''dentist'':10 ''canadian'':21 ''crocodil'':13 ''feminist'':18 ''action-pack'':4'),
  (14, 'ALICE FANTASIA', 'A Emotional Drama of a A Shark And a Database Administrator who must Vanquish a Pioneer in Soviet Georgia', 2006, 1, NULL, 6, 0.99, 94, 23.99, 'NC-17', '2007-09-10 17:46:03.905795', '{Trailers,"Deleted Scenes","Behind the Scenes"}', '''alic'':1 ''emot'':4 ''must'':15 ''drama'':5 ''shark'':9 ''soviet'':20 ''databas'':12 ''georgia'':21 ''pioneer'':18 ''fantasia'':2 ''vanquish'':16 ''administr'':13'),
  (15, 'ALIEN CENTER', 'A Brilliant Drama of a Cat And a Mad Scientist who must Battle a Feminist in A MySQL Convention', 2006, 1, NULL, 5, 2.99, 46, 10.99, 'NC-17', '2007-09-10 17:46:03.905795', '{Trailers,Commentaries,"Behind the Scenes"}', '''cat'':8 ''mad'':11 ''must'':14 ''alien'':1 ''battl'':15 ''drama'':5 ''mysql'':20 ''center'':2 ''convent'':21 ''feminist'':17 ''brilliant'':4 ''scientist'':12'),
  (16, 'ALLEY EVOLUTION', 'A Fast-Paced Drama of a Robot And a Composer who must Battle a Astronaut in New Orleans', 2006, 1, NULL, 6, 2.99, 180, 23.99, 'NC-17', '2007-09-10 17:46:03.905795', '{Trailers,Commentaries}', '''new'':20 ''fast'':5 ''must'':15 ''pace'':6 ''alley'':1 ''battl'':16 ''drama'':7 ''robot'':10 ''compos'':13 ''evolut'':2 ''orlean'':21 ''fast-pac'':4 ''astronaut'':18'),
  (17, 'ALONE TRIP', 'A Fast-Paced Character Study of a Composer And a Dog who must Outgun a Boat in An Abandoned Fun House', 2006, 1, NULL, 3, 0.99, 82, 14.99, 'R', '2007-09-10 17:46:03.905795', '{Trailers,"Behind the Scenes"}', '''dog'':14 ''fun'':23 ''alon'':1 ''boat'':19 ''fast'':5 ''hous'':24 ''must'':16 ''pace'':6 ''trip'':2 ''studi'':8 ''compos'':11 ''outgun'':17 ''abandon'':22 ''charact'':7 ''fast-pac'':4'),
  (18, 'ALTER VICTORY', 'A Thoughtful Drama of a Composer And a Feminist who must Meet a Secret Agent in The Canadian Rockies', 2006, 1, NULL, 6, 0.99, 57, 27.99, 'PG-13', '2007-09-10 17:46:03.905795', '{Trailers,"Behind the Scenes"}', '''meet'':14 ''must'':13 ''agent'':17 ''alter'':1 ''drama'':5 ''rocki'':21 ''compos'':8 ''secret'':16 ''thought'':4 ''victori'':2 ''canadian'':20 ''feminist'':11'),
  (19, 'AMADEUS HOLY', 'A Emotional Display of a Pioneer And a Technical Writer who must Battle a Man in A Baloon', 2006, 1, NULL, 6, 0.99, 113, 20.99, 'PG', '2007-09-10 17:46:03.905795', '{Commentaries,"Deleted Scenes","Behind the Scenes"}', '''man'':17 ''emot'':4 ''holi'':2 ''must'':14 ''battl'':15 ''baloon'':20 ''writer'':12 ''amadeus'':1 ''display'':5 ''pioneer'':8 ''technic'':11'),
  (20, 'AMELIE HELLFIGHTERS', 'A Boring Drama of a Woman And a Squirrel who must Conquer a Student in A Baloon', 2006, 1, NULL, 4, 4.99, 79, 23.99, 'R', '2007-09-10 17:46:03.905795', '{Commentaries,"Deleted Scenes","Behind the Scenes"}', '''bore'':4 ''must'':13 ''ameli'':1 ''drama'':5 ''woman'':8 ''baloon'':19 ''conquer'':14 ''student'':16 ''squirrel'':11 ''hellfight'':2'),
  (21, 'AMERICAN CIRCUS', 'A Insightful Drama of a Girl And a Astronaut who must Face a Database Administrator in A Shark Tank', 2006, 1, NULL, 3, 4.99, 129, 17.99, 'R', '2007-09-10 17:46:03.905795', '{Commentaries,"Behind the Scenes"}', '''face'':14 ''girl'':8 ''must'':13 ''tank'':21 ''drama'':5 ''shark'':20 ''circus'':2 ''databas'':16 ''insight'':4 ''american'':1 ''administr'':17 ''astronaut'':11'),
  (22, 'AMISTAD MIDSUMMER', 'A Emotional Character Study of a Dentist And a Crocodile who must Meet a Sumo Wrestler in California', 2006, 1, NULL, 6, 2.99, 85, 10.99, 'G', '2007-09-10 17:46:03.905795', '{Commentaries,"Behind the Scenes"}', '''emot'':4 ''meet'':15 ''must'':14 ''sumo'':17 ''studi'':6 ''amistad'':1 ''charact'':5 ''dentist'':9 ''midsumm'':2 ''crocodil'':12 ''wrestler'':18 ''california'':20'),
  (23, 'ANACONDA CONFESSIONS', 'A Lacklusture Display of a Dentist And a Dentist who must Fight a Girl in Australia', 2006, 1, NULL, 3, 0.99, 92, 9.99, 'R', '2007-09-10 17:46:03.905795', '{Trailers,"Deleted Scenes"}', '''girl'':16 ''must'':13 ''fight'':14 ''confess'':2 ''dentist'':8,11 ''display'':5 ''anaconda'':1 ''australia'':18 ''lacklustur'':4'),
  (24, 'ANALYZE HOOSIERS', 'A Thoughtful Display of a Explorer And a Pastry Chef who must Overcome a Feminist in The Sahara Desert', 2006, 1, NULL, 6, 2.99, 181, 19.99, 'R', '2007-09-10 17:46:03.905795', '{Trailers,"Behind the Scenes"}', '''chef'':12 ''must'':14 ''analyz'':1 ''desert'':21 ''explor'':8 ''pastri'':11 ''sahara'':20 ''display'':5 ''hoosier'':2 ''overcom'':15 ''thought'':4 ''feminist'':17'),
  (25, 'ANGELS LIFE', 'A Thoughtful Display of a Woman And a Astronaut who must Battle a Robot in Berlin', 2006, 1, NULL, 3, 2.99, 74, 15.99, 'G', '2007-09-10 17:46:03.905795', '{Trailers}', '''life'':2 ''must'':13 ''angel'':1 ''battl'':14 ''robot'':16 ''woman'':8 ''berlin'':18 ''display'':5 ''thought'':4 ''astronaut'':11'),
  (26, 'ANNIE IDENTITY', 'A Amazing Panorama of a Pastry Chef And a Boat who must Escape a Woman in An Abandoned Amusement Park', 2006, 1, NULL, 3, 0.99, 86, 15.99, 'G', '2007-09-10 17:46:03.905795', '{Commentaries,"Deleted Scenes"}', '''amaz'':4 ''amus'':21 ''anni'':1 ''boat'':12 ''chef'':9 ''must'':14 ''park'':22 ''escap'':15 ''ident'':2 ''woman'':17 ''pastri'':8 ''abandon'':20 ''panorama'':5'),
  (27, 'ANONYMOUS HUMAN', 'A Amazing Reflection of a Database Administrator And a Astronaut who must Outrace a Database Administrator in A Shark Tank', 2006, 1, NULL, 7, 0.99, 179, 12.99, 'NC-17', '2007-09-10 17:46:03.905795', '{"Deleted Scenes","Behind the Scenes"}', '''amaz'':4 ''must'':14 ''tank'':22 ''human'':2 ''shark'':21 ''anonym'':1 ''outrac'':15 ''databas'':8,17 ''reflect'':5 ''administr'':9,18 ''astronaut'':12'),
  (28, 'ANTHEM LUKE', 'A Touching Panorama of a Waitress And a Woman who must Outrace a Dog in An Abandoned Amusement Park', 2006, 1, NULL, 5, 4.99, 91, 16.99, 'PG-13', '2007-09-10 17:46:03.905795', '{"Deleted Scenes","Behind the Scenes"}', '''dog'':16 ''amus'':20 ''luke'':2 ''must'':13 ''park'':21 ''touch'':4 ''woman'':11 ''anthem'':1 ''outrac'':14 ''abandon'':19 ''panorama'':5 ''waitress'':8'),
  (29, 'ANTITRUST TOMATOES', 'A Fateful Yarn of a Womanizer And a Feminist who must Succumb a Database Administrator in Ancient India', 2006, 1, NULL, 5, 2.99, 168, 11.99, 'NC-17', '2007-09-10 17:46:03.905795', '{Trailers,Commentaries,"Deleted Scenes"}', '''fate'':4 ''must'':13 ''yarn'':5 ''india'':20 ''woman'':8 ''tomato'':2 ''ancient'':19 ''databas'':16 ''succumb'':14 ''feminist'':11 ''administr'':17 ''antitrust'':1'),
  (30, 'ANYTHING SAVANNAH', 'A Epic Story of a Pastry Chef And a Woman who must Chase a Feminist in An Abandoned Fun House', 2006, 1, NULL, 4, 2.99, 82, 27.99, 'R', '2007-09-10 17:46:03.905795', '{Trailers,"Deleted Scenes","Behind the Scenes"}', '''fun'':21 ''chef'':9 ''epic'':4 ''hous'':22 ''must'':14 ''anyth'':1 ''chase'':15 ''stori'':5 ''woman'':12 ''pastri'':8 ''abandon'':20 ''feminist'':17 ''savannah'':2');
INSERT INTO film_actor (actor_id, film_id, last_update) VALUES
  (1, 1, '2006-02-15 10:05:03'),
  (1, 23, '2006-02-15 10:05:03'),
  (1, 25, '2006-02-15 10:05:03'),
  (2, 3, '2006-02-15 10:05:03'),
  (3, 17, '2006-02-15 10:05:03'),
  (4, 23, '2006-02-15 10:05:03'),
  (4, 25, '2006-02-15 10:05:03'),
  (5, 19, '2006-02-15 10:05:03'),
  (6, 29, '2006-02-15 10:05:03'),
  (7, 25, '2006-02-15 10:05:03'),
  (7, 27, '2006-02-15 10:05:03'),
  (9, 30, '2006-02-15 10:05:03'),
  (10, 1, '2006-02-15 10:05:03'),
  (10, 9, '2006-02-15 10:05:03'),
  (12, 16, '2006-02-15 10:05:03'),
  (12, 17, '2006-02-15 10:05:03'),
  (13, 17, '2006-02-15 10:05:03'),
  (13, 29, '2006-02-15 10:05:03'),
  (19, 2, '2006-02-15 10:05:03'),
  (19, 3, '2006-02-15 10:05:03'),
  (20, 1, '2006-02-15 10:05:03'),
  (21, 6, '2006-02-15 10:05:03'),
  (22, 9, '2006-02-15 10:05:03'),
  (22, 23, '2006-02-15 10:05:03'),
  (23, 6, '2006-02-15 10:05:03'),
  (24, 3, '2006-02-15 10:05:03'),
  (25, 21, '2006-02-15 10:05:03'),
  (26, 9, '2006-02-15 10:05:03'),
  (26, 21, '2006-02-15 10:05:03'),
  (27, 19, '2006-02-15 10:05:03'),
  (28, 14, '2006-02-15 10:05:03'),
  (29, 10, '2006-02-15 10:05:03'),
  (30, 1, '2006-02-15 10:05:03'),
  (35, 10, '2006-02-15 10:05:03'),
  (36, 15, '2006-02-15 10:05:03'),
  (37, 10, '2006-02-15 10:05:03'),
  (37, 12, '2006-02-15 10:05:03'),
  (37, 19, '2006-02-15 10:05:03'),
  (38, 24, '2006-02-15 10:05:03'),
  (40, 1, '2006-02-15 10:05:03'),
  (40, 11, '2006-02-15 10:05:03'),
  (41, 4, '2006-02-15 10:05:03'),
  (42, 24, '2006-02-15 10:05:03'),
  (43, 19, '2006-02-15 10:05:03'),
  (45, 18, '2006-02-15 10:05:03'),
  (47, 25, '2006-02-15 10:05:03'),
  (51, 5, '2006-02-15 10:05:03'),
  (52, 20, '2006-02-15 10:05:03'),
  (53, 1, '2006-02-15 10:05:03'),
  (53, 9, '2006-02-15 10:05:03'),
  (55, 8, '2006-02-15 10:05:03'),
  (55, 27, '2006-02-15 10:05:03'),
  (57, 16, '2006-02-15 10:05:03'),
  (59, 5, '2006-02-15 10:05:03'),
  (62, 6, '2006-02-15 10:05:03'),
  (64, 3, '2006-02-15 10:05:03'),
  (64, 10, '2006-02-15 10:05:03'),
  (67, 24, '2006-02-15 10:05:03'),
  (68, 9, '2006-02-15 10:05:03'),
  (69, 15, '2006-02-15 10:05:03'),
  (71, 26, '2006-02-15 10:05:03'),
  (74, 28, '2006-02-15 10:05:03'),
  (75, 12, '2006-02-15 10:05:03'),
  (77, 13, '2006-02-15 10:05:03'),
  (77, 22, '2006-02-15 10:05:03'),
  (81, 4, '2006-02-15 10:05:03'),
  (81, 11, '2006-02-15 10:05:03'),
  (82, 17, '2006-02-15 10:05:03'),
  (84, 19, '2006-02-15 10:05:03'),
  (85, 2, '2006-02-15 10:05:03'),
  (85, 14, '2006-02-15 10:05:03'),
  (88, 4, '2006-02-15 10:05:03'),
  (90, 2, '2006-02-15 10:05:03'),
  (90, 11, '2006-02-15 10:05:03'),
  (91, 13, '2006-02-15 10:05:03'),
  (91, 25, '2006-02-15 10:05:03'),
  (94, 13, '2006-02-15 10:05:03'),
  (95, 22, '2006-02-15 10:05:03'),
  (96, 8, '2006-02-15 10:05:03'),
  (99, 7, '2006-02-15 10:05:03'),
  (99, 27, '2006-02-15 10:05:03'),
  (100, 17, '2006-02-15 10:05:03'),
  (102, 20, '2006-02-15 10:05:03'),
  (103, 5, '2006-02-15 10:05:03'),
  (104, 19, '2006-02-15 10:05:03'),
  (105, 12, '2006-02-15 10:05:03'),
  (105, 15, '2006-02-15 10:05:03'),
  (105, 21, '2006-02-15 10:05:03'),
  (105, 29, '2006-02-15 10:05:03'),
  (108, 1, '2006-02-15 10:05:03'),
  (108, 6, '2006-02-15 10:05:03'),
  (108, 9, '2006-02-15 10:05:03'),
  (109, 12, '2006-02-15 10:05:03'),
  (110, 8, '2006-02-15 10:05:03'),
  (110, 27, '2006-02-15 10:05:03'),
  (114, 13, '2006-02-15 10:05:03'),
  (117, 10, '2006-02-15 10:05:03'),
  (117, 15, '2006-02-15 10:05:03'),
  (119, 21, '2006-02-15 10:05:03'),
  (122, 22, '2006-02-15 10:05:03'),
  (122, 29, '2006-02-15 10:05:03'),
  (123, 3, '2006-02-15 10:05:03'),
  (124, 22, '2006-02-15 10:05:03'),
  (126, 21, '2006-02-15 10:05:03'),
  (128, 26, '2006-02-15 10:05:03'),
  (130, 9, '2006-02-15 10:05:03'),
  (130, 26, '2006-02-15 10:05:03'),
  (133, 7, '2006-02-15 10:05:03'),
  (136, 20, '2006-02-15 10:05:03'),
  (136, 25, '2006-02-15 10:05:03'),
  (137, 6, '2006-02-15 10:05:03'),
  (137, 14, '2006-02-15 10:05:03'),
  (138, 8, '2006-02-15 10:05:03'),
  (139, 20, '2006-02-15 10:05:03'),
  (140, 27, '2006-02-15 10:05:03'),
  (142, 10, '2006-02-15 10:05:03'),
  (142, 18, '2006-02-15 10:05:03'),
  (144, 18, '2006-02-15 10:05:03'),
  (146, 12, '2006-02-15 10:05:03'),
  (146, 16, '2006-02-15 10:05:03'),
  (147, 4, '2006-02-15 10:05:03'),
  (148, 27, '2006-02-15 10:05:03'),
  (150, 23, '2006-02-15 10:05:03'),
  (154, 27, '2006-02-15 10:05:03'),
  (155, 20, '2006-02-15 10:05:03'),
  (157, 10, '2006-02-15 10:05:03'),
  (157, 24, '2006-02-15 10:05:03'),
  (159, 20, '2006-02-15 10:05:03'),
  (160, 2, '2006-02-15 10:05:03'),
  (160, 17, '2006-02-15 10:05:03'),
  (162, 1, '2006-02-15 10:05:03'),
  (162, 4, '2006-02-15 10:05:03'),
  (162, 7, '2006-02-15 10:05:03'),
  (162, 18, '2006-02-15 10:05:03'),
  (162, 28, '2006-02-15 10:05:03'),
  (163, 30, '2006-02-15 10:05:03'),
  (164, 15, '2006-02-15 10:05:03'),
  (164, 23, '2006-02-15 10:05:03'),
  (166, 25, '2006-02-15 10:05:03'),
  (167, 17, '2006-02-15 10:05:03'),
  (167, 25, '2006-02-15 10:05:03'),
  (169, 6, '2006-02-15 10:05:03'),
  (170, 7, '2006-02-15 10:05:03'),
  (170, 15, '2006-02-15 10:05:03'),
  (170, 27, '2006-02-15 10:05:03'),
  (174, 11, '2006-02-15 10:05:03'),
  (175, 9, '2006-02-15 10:05:03'),
  (175, 29, '2006-02-15 10:05:03'),
  (176, 13, '2006-02-15 10:05:03'),
  (177, 12, '2006-02-15 10:05:03'),
  (178, 30, '2006-02-15 10:05:03'),
  (179, 24, '2006-02-15 10:05:03'),
  (179, 27, '2006-02-15 10:05:03'),
  (180, 12, '2006-02-15 10:05:03'),
  (181, 5, '2006-02-15 10:05:03'),
  (185, 7, '2006-02-15 10:05:03'),
  (187, 17, '2006-02-15 10:05:03'),
  (187, 25, '2006-02-15 10:05:03'),
  (187, 29, '2006-02-15 10:05:03'),
  (188, 1, '2006-02-15 10:05:03'),
  (188, 10, '2006-02-15 10:05:03'),
  (188, 14, '2006-02-15 10:05:03'),
  (191, 16, '2006-02-15 10:05:03'),
  (192, 16, '2006-02-15 10:05:03'),
  (194, 9, '2006-02-15 10:05:03'),
  (197, 6, '2006-02-15 10:05:03'),
  (197, 29, '2006-02-15 10:05:03'),
  (198, 1, '2006-02-15 10:05:03'),
  (200, 5, '2006-02-15 10:05:03');
INSERT INTO film_category (film_id, category_id, last_update) VALUES
  (1, 6, '2006-02-15 10:07:09'),
  (2, 11, '2006-02-15 10:07:09'),
  (3, 6, '2006-02-15 10:07:09'),
  (4, 11, '2006-02-15 10:07:09'),
  (5, 8, '2006-02-15 10:07:09'),
  (6, 9, '2006-02-15 10:07:09'),
  (7, 5, '2006-02-15 10:07:09'),
  (8, 11, '2006-02-15 10:07:09'),
  (9, 11, '2006-02-15 10:07:09'),
  (10, 15, '2006-02-15 10:07:09'),
  (11, 9, '2006-02-15 10:07:09'),
  (12, 12, '2006-02-15 10:07:09'),
  (13, 11, '2006-02-15 10:07:09'),
  (14, 4, '2006-02-15 10:07:09'),
  (15, 9, '2006-02-15 10:07:09'),
  (16, 9, '2006-02-15 10:07:09'),
  (17, 12, '2006-02-15 10:07:09'),
  (18, 2, '2006-02-15 10:07:09'),
  (19, 1, '2006-02-15 10:07:09'),
  (20, 12, '2006-02-15 10:07:09'),
  (21, 1, '2006-02-15 10:07:09'),
  (22, 13, '2006-02-15 10:07:09'),
  (23, 2, '2006-02-15 10:07:09'),
  (24, 11, '2006-02-15 10:07:09'),
  (25, 13, '2006-02-15 10:07:09'),
  (26, 14, '2006-02-15 10:07:09'),
  (27, 15, '2006-02-15 10:07:09'),
  (28, 5, '2006-02-15 10:07:09'),
  (29, 1, '2006-02-15 10:07:09'),
  (30, 11, '2006-02-15 10:07:09');
INSERT INTO staff (staff_id, first_name, last_name, address_id, email, store_id, active, username, password, last_update, picture) VALUES
  (1, 'Mike', 'Hillyer', 3, 'Mike.Hillyer@sakilastaff.com', 1, 't', 'Mike', '8cb2237d0679ca88db6464eac60da96345513964', '2006-05-16 16:13:11.79328', NULL),
  (2, 'Jon', 'Stephens', 4, 'Jon.Stephens@sakilastaff.com', 2, 't', 'Jon', '8cb2237d0679ca88db6464eac60da96345513964', '2006-05-16 16:13:11.79328', NULL);
INSERT INTO store (store_id, manager_staff_id, address_id, last_update) VALUES
  (1, 1, 1, '2006-02-15 09:57:12'),
  (2, 2, 2, '2006-02-15 09:57:12');
INSERT INTO customer (customer_id, store_id, first_name, last_name, email, address_id, activebool, create_date, last_update, active) VALUES
  (1, 1, 'MARY', 'SMITH', 'MARY.SMITH@sakilacustomer.org', 5, 't', '2006-02-14', '2006-02-15 09:57:20', 1),
  (2, 1, 'PATRICIA', 'JOHNSON', 'PATRICIA.JOHNSON@sakilacustomer.org', 6, 't', '2006-02-14', '2006-02-15 09:57:20', 1),
  (3, 1, 'LINDA', 'WILLIAMS', 'LINDA.WILLIAMS@sakilacustomer.org', 7, 't', '2006-02-14', '2006-02-15 09:57:20', 1),
  (4, 2, 'BARBARA', 'JONES', 'BARBARA.JONES@sakilacustomer.org', 8, 't', '2006-02-14', '2006-02-15 09:57:20', 1),
  (5, 1, 'ELIZABETH', 'BROWN', 'ELIZABETH.BROWN@sakilacustomer.org', 9, 't', '2006-02-14', '2006-02-15 09:57:20', 1),
  (6, 2, 'JENNIFER', 'DAVIS', 'JENNIFER.DAVIS@sakilacustomer.org', 10, 't', '2006-02-14', '2006-02-15 09:57:20', 1),
  (7, 1, 'MARIA', 'MILLER', 'MARIA.MILLER@sakilacustomer.org', 11, 't', '2006-02-14', '2006-02-15 09:57:20', 1),
  (8, 2, 'SUSAN', 'WILSON', 'SUSAN.WILSON@sakilacustomer.org', 12, 't', '2006-02-14', '2006-02-15 09:57:20', 1),
  (9, 2, 'MARGARET', 'MOORE', 'MARGARET.MOORE@sakilacustomer.org', 13, 't', '2006-02-14', '2006-02-15 09:57:20', 1),
  (10, 1, 'DOROTHY', 'TAYLOR', 'DOROTHY.TAYLOR@sakilacustomer.org', 14, 't', '2006-02-14', '2006-02-15 09:57:20', 1),
  (11, 2, 'LISA', 'ANDERSON', 'LISA.ANDERSON@sakilacustomer.org', 15, 't', '2006-02-14', '2006-02-15 09:57:20', 1),
  (12, 1, 'NANCY', 'THOMAS', 'NANCY.THOMAS@sakilacustomer.org', 16, 't', '2006-02-14', '2006-02-15 09:57:20', 1),
  (13, 2, 'KAREN', 'JACKSON', 'KAREN.JACKSON@sakilacustomer.org', 17, 't', '2006-02-14', '2006-02-15 09:57:20', 1),
  (14, 2, 'BETTY', 'WHITE', 'BETTY.WHITE@sakilacustomer.org', 18, 't', '2006-02-14', '2006-02-15 09:57:20', 1),
  (15, 1, 'HELEN', 'HARRIS', 'HELEN.HARRIS@sakilacustomer.org', 19, 't', '2006-02-14', '2006-02-15 09:57:20', 1),
  (16, 2, 'SANDRA', 'MARTIN', 'SANDRA.MARTIN@sakilacustomer.org', 20, 't', '2006-02-14', '2006-02-15 09:57:20', 0),
  (17, 1, 'DONNA', 'THOMPSON', 'DONNA.THOMPSON@sakilacustomer.org', 21, 't', '2006-02-14', '2006-02-15 09:57:20', 1),
  (18, 2, 'CAROL', 'GARCIA', 'CAROL.GARCIA@sakilacustomer.org', 22, 't', '2006-02-14', '2006-02-15 09:57:20', 1),
  (19, 1, 'RUTH', 'MARTINEZ', 'RUTH.MARTINEZ@sakilacustomer.org', 23, 't', '2006-02-14', '2006-02-15 09:57:20', 1),
  (20, 2, 'SHARON', 'ROBINSON', 'SHARON.ROBINSON@sakilacustomer.org', 24, 't', '2006-02-14', '2006-02-15 09:57:20', 1),
  (21, 1, 'MICHELLE', 'CLARK', 'MICHELLE.CLARK@sakilacustomer.org', 25, 't', '2006-02-14', '2006-02-15 09:57:20', 1),
  (22, 1, 'LAURA', 'RODRIGUEZ', 'LAURA.RODRIGUEZ@sakilacustomer.org', 26, 't', '2006-02-14', '2006-02-15 09:57:20', 1),
  (23, 2, 'SARAH', 'LEWIS', 'SARAH.LEWIS@sakilacustomer.org', 27, 't', '2006-02-14', '2006-02-15 09:57:20', 1),
  (24, 2, 'KIMBERLY', 'LEE', 'KIMBERLY.LEE@sakilacustomer.org', 28, 't', '2006-02-14', '2006-02-15 09:57:20', 1),
  (25, 1, 'DEBORAH', 'WALKER', 'DEBORAH.WALKER@sakilacustomer.org', 29, 't', '2006-02-14', '2006-02-15 09:57:20', 1);
INSERT INTO inventory (inventory_id, film_id, store_id, last_update) VALUES
  (1, 1, 1, '2006-02-15 10:09:17'),
  (2, 1, 1, '2006-02-15 10:09:17'),
  (3, 1, 1, '2006-02-15 10:09:17'),
  (4, 1, 1, '2006-02-15 10:09:17'),
  (5, 1, 2, '2006-02-15 10:09:17'),
  (6, 1, 2, '2006-02-15 10:09:17'),
  (7, 1, 2, '2006-02-15 10:09:17'),
  (8, 1, 2, '2006-02-15 10:09:17'),
  (9, 2, 2, '2006-02-15 10:09:17'),
  (10, 2, 2, '2006-02-15 10:09:17'),
  (11, 2, 2, '2006-02-15 10:09:17'),
  (12, 3, 2, '2006-02-15 10:09:17'),
  (13, 3, 2, '2006-02-15 10:09:17'),
  (14, 3, 2, '2006-02-15 10:09:17'),
  (15, 3, 2, '2006-02-15 10:09:17'),
  (16, 4, 1, '2006-02-15 10:09:17'),
  (17, 4, 1, '2006-02-15 10:09:17'),
  (18, 4, 1, '2006-02-15 10:09:17'),
  (19, 4, 1, '2006-02-15 10:09:17'),
  (20, 4, 2, '2006-02-15 10:09:17'),
  (21, 4, 2, '2006-02-15 10:09:17'),
  (22, 4, 2, '2006-02-15 10:09:17'),
  (23, 5, 2, '2006-02-15 10:09:17'),
  (24, 5, 2, '2006-02-15 10:09:17'),
  (25, 5, 2, '2006-02-15 10:09:17'),
  (26, 6, 1, '2006-02-15 10:09:17'),
  (27, 6, 1, '2006-02-15 10:09:17'),
  (28, 6, 1, '2006-02-15 10:09:17'),
  (29, 6, 2, '2006-02-15 10:09:17'),
  (30, 6, 2, '2006-02-15 10:09:17'),
  (31, 6, 2, '2006-02-15 10:09:17'),
  (32, 7, 1, '2006-02-15 10:09:17'),
  (33, 7, 1, '2006-02-15 10:09:17'),
  (34, 7, 2, '2006-02-15 10:09:17'),
  (35, 7, 2, '2006-02-15 10:09:17'),
  (36, 7, 2, '2006-02-15 10:09:17'),
  (37, 8, 2, '2006-02-15 10:09:17'),
  (38, 8, 2, '2006-02-15 10:09:17'),
  (39, 8, 2, '2006-02-15 10:09:17'),
  (40, 8, 2, '2006-02-15 10:09:17'),
  (41, 9, 1, '2006-02-15 10:09:17'),
  (42, 9, 1, '2006-02-15 10:09:17'),
  (43, 9, 1, '2006-02-15 10:09:17'),
  (44, 9, 2, '2006-02-15 10:09:17'),
  (45, 9, 2, '2006-02-15 10:09:17'),
  (46, 10, 1, '2006-02-15 10:09:17'),
  (47, 10, 1, '2006-02-15 10:09:17'),
  (48, 10, 1, '2006-02-15 10:09:17'),
  (49, 10, 1, '2006-02-15 10:09:17'),
  (50, 10, 2, '2006-02-15 10:09:17'),
  (51, 10, 2, '2006-02-15 10:09:17'),
  (52, 10, 2, '2006-02-15 10:09:17'),
  (53, 11, 1, '2006-02-15 10:09:17'),
  (54, 11, 1, '2006-02-15 10:09:17'),
  (55, 11, 1, '2006-02-15 10:09:17'),
  (56, 11, 1, '2006-02-15 10:09:17'),
  (57, 11, 2, '2006-02-15 10:09:17'),
  (58, 11, 2, '2006-02-15 10:09:17'),
  (59, 11, 2, '2006-02-15 10:09:17'),
  (60, 12, 1, '2006-02-15 10:09:17'),
  (61, 12, 1, '2006-02-15 10:09:17'),
  (62, 12, 1, '2006-02-15 10:09:17'),
  (63, 12, 2, '2006-02-15 10:09:17'),
  (64, 12, 2, '2006-02-15 10:09:17'),
  (65, 12, 2, '2006-02-15 10:09:17'),
  (66, 12, 2, '2006-02-15 10:09:17'),
  (67, 13, 2, '2006-02-15 10:09:17'),
  (68, 13, 2, '2006-02-15 10:09:17'),
  (69, 13, 2, '2006-02-15 10:09:17'),
  (70, 13, 2, '2006-02-15 10:09:17'),
  (71, 15, 1, '2006-02-15 10:09:17'),
  (72, 15, 1, '2006-02-15 10:09:17'),
  (73, 15, 2, '2006-02-15 10:09:17'),
  (74, 15, 2, '2006-02-15 10:09:17'),
  (75, 15, 2, '2006-02-15 10:09:17'),
  (76, 15, 2, '2006-02-15 10:09:17'),
  (77, 16, 1, '2006-02-15 10:09:17'),
  (78, 16, 1, '2006-02-15 10:09:17'),
  (79, 16, 2, '2006-02-15 10:09:17'),
  (80, 16, 2, '2006-02-15 10:09:17'),
  (81, 17, 1, '2006-02-15 10:09:17'),
  (82, 17, 1, '2006-02-15 10:09:17'),
  (83, 17, 1, '2006-02-15 10:09:17'),
  (84, 17, 2, '2006-02-15 10:09:17'),
  (85, 17, 2, '2006-02-15 10:09:17'),
  (86, 17, 2, '2006-02-15 10:09:17'),
  (87, 18, 1, '2006-02-15 10:09:17'),
  (88, 18, 1, '2006-02-15 10:09:17'),
  (89, 18, 1, '2006-02-15 10:09:17'),
  (90, 18, 2, '2006-02-15 10:09:17'),
  (91, 18, 2, '2006-02-15 10:09:17'),
  (92, 18, 2, '2006-02-15 10:09:17'),
  (93, 19, 1, '2006-02-15 10:09:17'),
  (94, 19, 1, '2006-02-15 10:09:17'),
  (95, 19, 1, '2006-02-15 10:09:17'),
  (96, 19, 1, '2006-02-15 10:09:17'),
  (97, 19, 2, '2006-02-15 10:09:17'),
  (98, 19, 2, '2006-02-15 10:09:17'),
  (99, 20, 1, '2006-02-15 10:09:17'),
  (100, 20, 1, '2006-02-15 10:09:17'),
  (101, 20, 1, '2006-02-15 10:09:17'),
  (102, 21, 1, '2006-02-15 10:09:17'),
  (103, 21, 1, '2006-02-15 10:09:17'),
  (104, 21, 2, '2006-02-15 10:09:17'),
  (105, 21, 2, '2006-02-15 10:09:17'),
  (106, 21, 2, '2006-02-15 10:09:17'),
  (107, 21, 2, '2006-02-15 10:09:17'),
  (108, 22, 1, '2006-02-15 10:09:17'),
  (109, 22, 1, '2006-02-15 10:09:17'),
  (110, 22, 1, '2006-02-15 10:09:17'),
  (111, 22, 1, '2006-02-15 10:09:17'),
  (112, 22, 2, '2006-02-15 10:09:17'),
  (113, 22, 2, '2006-02-15 10:09:17'),
  (114, 22, 2, '2006-02-15 10:09:17'),
  (115, 23, 1, '2006-02-15 10:09:17'),
  (116, 23, 1, '2006-02-15 10:09:17'),
  (117, 23, 1, '2006-02-15 10:09:17'),
  (118, 23, 2, '2006-02-15 10:09:17'),
  (119, 23, 2, '2006-02-15 10:09:17'),
  (120, 24, 1, '2006-02-15 10:09:17'),
  (121, 24, 1, '2006-02-15 10:09:17'),
  (122, 24, 1, '2006-02-15 10:09:17'),
  (123, 24, 1, '2006-02-15 10:09:17'),
  (124, 25, 1, '2006-02-15 10:09:17'),
  (125, 25, 1, '2006-02-15 10:09:17'),
  (126, 25, 1, '2006-02-15 10:09:17'),
  (127, 25, 1, '2006-02-15 10:09:17'),
  (128, 25, 2, '2006-02-15 10:09:17'),
  (129, 25, 2, '2006-02-15 10:09:17'),
  (130, 26, 1, '2006-02-15 10:09:17'),
  (131, 26, 1, '2006-02-15 10:09:17'),
  (132, 26, 2, '2006-02-15 10:09:17'),
  (133, 26, 2, '2006-02-15 10:09:17'),
  (134, 26, 2, '2006-02-15 10:09:17'),
  (135, 27, 1, '2006-02-15 10:09:17'),
  (136, 27, 1, '2006-02-15 10:09:17'),
  (137, 27, 1, '2006-02-15 10:09:17'),
  (138, 27, 1, '2006-02-15 10:09:17'),
  (139, 28, 1, '2006-02-15 10:09:17'),
  (140, 28, 1, '2006-02-15 10:09:17'),
  (141, 28, 1, '2006-02-15 10:09:17'),
  (142, 29, 1, '2006-02-15 10:09:17'),
  (143, 29, 1, '2006-02-15 10:09:17'),
  (144, 30, 1, '2006-02-15 10:09:17'),
  (145, 30, 1, '2006-02-15 10:09:17');
INSERT INTO rental (rental_id, rental_date, inventory_id, customer_id, return_date, staff_id, last_update) VALUES
  (1033, '2005-05-31 04:50:07', 14, 25, '2005-06-02 01:53:07', 1, '2006-02-16 02:30:53'),
  (1716, '2005-06-16 14:39:31', 20, 24, '2005-06-19 15:37:31', 1, '2006-02-16 02:30:53'),
  (1726, '2005-06-16 15:19:10', 116, 3, '2005-06-25 11:39:10', 2, '2006-02-16 02:30:53'),
  (1735, '2005-06-16 15:51:52', 97, 4, '2005-06-20 13:27:52', 1, '2006-02-16 02:30:53'),
  (1783, '2005-06-16 19:23:23', 50, 18, '2005-06-18 00:57:23', 1, '2006-02-16 02:30:53'),
  (4042, '2005-07-07 03:06:40', 50, 10, '2005-07-10 02:37:40', 1, '2006-02-16 02:30:53'),
  (7652, '2005-07-28 01:50:29', 92, 5, '2005-07-30 22:23:29', 2, '2006-02-16 02:30:53'),
  (7738, '2005-07-28 05:21:42', 80, 10, '2005-08-03 09:46:42', 2, '2006-02-16 02:30:53'),
  (7829, '2005-07-28 08:43:39', 111, 5, '2005-08-04 14:33:39', 1, '2006-02-16 02:30:53'),
  (8263, '2005-07-29 01:11:23', 28, 5, '2005-07-31 01:53:23', 2, '2006-02-16 02:30:53'),
  (8326, '2005-07-29 03:58:49', 108, 1, '2005-08-01 05:16:49', 2, '2006-02-16 02:30:53'),
  (8718, '2005-07-29 17:41:14', 137, 23, '2005-08-01 18:22:14', 2, '2006-02-16 02:30:53'),
  (9438, '2005-07-30 21:36:15', 121, 14, '2005-08-07 16:54:15', 2, '2006-02-16 02:30:53'),
  (10103, '2005-07-31 20:49:13', 77, 25, '2005-08-05 15:55:13', 2, '2006-02-16 02:30:53'),
  (10141, '2005-07-31 22:08:29', 8, 8, '2005-08-06 16:59:29', 1, '2006-02-16 02:30:53'),
  (10437, '2005-08-01 08:51:04', 14, 1, '2005-08-10 12:12:04', 1, '2006-02-16 02:30:53'),
  (10466, '2005-08-01 09:45:26', 138, 2, '2005-08-06 06:28:26', 1, '2006-02-16 02:30:53'),
  (10526, '2005-08-01 11:55:33', 27, 14, '2005-08-08 16:42:33', 1, '2006-02-16 02:30:53'),
  (11069, '2005-08-02 07:09:34', 57, 4, '2005-08-08 08:39:34', 1, '2006-02-16 02:30:53'),
  (11727, '2005-08-17 08:12:20', 98, 6, '2005-08-19 12:45:20', 1, '2006-02-16 02:30:53'),
  (12730, '2005-08-18 21:55:01', 75, 7, '2005-08-22 01:23:01', 1, '2006-02-16 02:30:53'),
  (12856, '2005-08-19 02:19:13', 132, 4, '2005-08-23 07:49:13', 2, '2006-02-16 02:30:53'),
  (14346, '2005-08-21 08:42:26', 109, 17, '2005-08-23 09:18:26', 2, '2006-02-16 02:30:53'),
  (15232, '2005-08-22 17:37:02', 61, 5, '2005-08-25 18:45:02', 1, '2006-02-16 02:30:53'),
  (15370, '2005-08-22 21:59:29', 67, 10, '2005-08-27 16:32:29', 1, '2006-02-16 02:30:53');
INSERT INTO payment_p2007_01 (payment_id, customer_id, staff_id, rental_id, amount, payment_date) VALUES
  (16737, 25, 2, 1033, 2.99, '2007-01-31 03:18:33.996577');
INSERT INTO payment_p2007_02 (payment_id, customer_id, staff_id, rental_id, amount, payment_date) VALUES
  (18504, 3, 1, 1726, 6.99, '2007-02-16 13:47:36.996577'),
  (18510, 4, 2, 1735, 0.99, '2007-02-16 14:20:18.996577'),
  (18562, 18, 2, 1783, 4.99, '2007-02-16 17:51:49.996577'),
  (18583, 24, 1, 1716, 2.99, '2007-02-16 13:07:57.996577');
INSERT INTO payment_p2007_03 (payment_id, customer_id, staff_id, rental_id, amount, payment_date) VALUES
  (22680, 1, 2, 10437, 4.99, '2007-03-01 07:19:30.996577'),
  (22691, 2, 1, 10466, 0.99, '2007-03-01 08:13:52.996577'),
  (22709, 4, 2, 11069, 0.99, '2007-03-02 05:38:00.996577'),
  (22714, 4, 2, 12856, 1.99, '2007-03-19 00:47:39.996577'),
  (22732, 5, 2, 15232, 0.99, '2007-03-22 16:05:28.996577'),
  (22737, 6, 1, 11727, 0.99, '2007-03-17 06:40:46.996577'),
  (22752, 7, 1, 12730, 2.99, '2007-03-18 20:23:27.996577'),
  (22780, 10, 1, 15370, 5.99, '2007-03-22 20:27:55.996577'),
  (22807, 14, 2, 10526, 6.99, '2007-03-01 10:23:59.996577'),
  (22847, 17, 1, 14346, 2.99, '2007-03-21 07:10:52.996577');
INSERT INTO payment_p2007_04 (payment_id, customer_id, staff_id, rental_id, amount, payment_date) VALUES
  (29003, 1, 2, 8326, 2.99, '2007-04-29 02:27:15.996577'),
  (29047, 5, 2, 7652, 0.99, '2007-04-28 00:18:55.996577'),
  (29048, 5, 2, 7829, 3.99, '2007-04-28 07:12:05.996577'),
  (29049, 5, 1, 8263, 2.99, '2007-04-28 23:39:49.996577'),
  (29084, 8, 2, 10141, 0.99, '2007-04-30 20:36:55.996577'),
  (29095, 10, 2, 4042, 4.99, '2007-04-07 01:35:06.996577'),
  (29101, 10, 1, 7738, 2.99, '2007-04-28 03:50:08.996577'),
  (29152, 14, 2, 9438, 4.99, '2007-04-30 20:04:41.996577'),
  (29232, 23, 2, 8718, 0.99, '2007-04-29 16:09:40.996577'),
  (29257, 25, 2, 10103, 2.99, '2007-04-30 19:17:39.996577');

--

ALTER TABLE ONLY actor
    ADD CONSTRAINT actor_pkey PRIMARY KEY (actor_id);


--
-- Name: address_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres; Tablespace: 
--

ALTER TABLE ONLY address
    ADD CONSTRAINT address_pkey PRIMARY KEY (address_id);


--
-- Name: category_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres; Tablespace: 
--

ALTER TABLE ONLY category
    ADD CONSTRAINT category_pkey PRIMARY KEY (category_id);


--
-- Name: city_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres; Tablespace: 
--

ALTER TABLE ONLY city
    ADD CONSTRAINT city_pkey PRIMARY KEY (city_id);


--
-- Name: country_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres; Tablespace: 
--

ALTER TABLE ONLY country
    ADD CONSTRAINT country_pkey PRIMARY KEY (country_id);


--
-- Name: customer_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres; Tablespace: 
--

ALTER TABLE ONLY customer
    ADD CONSTRAINT customer_pkey PRIMARY KEY (customer_id);


--
-- Name: film_actor_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres; Tablespace: 
--

ALTER TABLE ONLY film_actor
    ADD CONSTRAINT film_actor_pkey PRIMARY KEY (actor_id, film_id);


--
-- Name: film_category_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres; Tablespace: 
--

ALTER TABLE ONLY film_category
    ADD CONSTRAINT film_category_pkey PRIMARY KEY (film_id, category_id);


--
-- Name: film_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres; Tablespace: 
--

ALTER TABLE ONLY film
    ADD CONSTRAINT film_pkey PRIMARY KEY (film_id);


--
-- Name: inventory_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres; Tablespace: 
--

ALTER TABLE ONLY inventory
    ADD CONSTRAINT inventory_pkey PRIMARY KEY (inventory_id);


--
-- Name: language_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres; Tablespace: 
--

ALTER TABLE ONLY language
    ADD CONSTRAINT language_pkey PRIMARY KEY (language_id);


--
-- Name: payment_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres; Tablespace: 
--

ALTER TABLE ONLY payment
    ADD CONSTRAINT payment_pkey PRIMARY KEY (payment_id);


--
-- Name: rental_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres; Tablespace: 
--

ALTER TABLE ONLY rental
    ADD CONSTRAINT rental_pkey PRIMARY KEY (rental_id);


--
-- Name: staff_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres; Tablespace: 
--

ALTER TABLE ONLY staff
    ADD CONSTRAINT staff_pkey PRIMARY KEY (staff_id);


--
-- Name: store_pkey; Type: CONSTRAINT; Schema: public; Owner: postgres; Tablespace: 
--

ALTER TABLE ONLY store
    ADD CONSTRAINT store_pkey PRIMARY KEY (store_id);


--
-- Name: film_fulltext_idx; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX film_fulltext_idx ON film USING gist (fulltext);


--
-- Name: idx_actor_last_name; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_actor_last_name ON actor USING btree (last_name);


--
-- Name: idx_fk_address_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_fk_address_id ON customer USING btree (address_id);


--
-- Name: idx_fk_city_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_fk_city_id ON address USING btree (city_id);


--
-- Name: idx_fk_country_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_fk_country_id ON city USING btree (country_id);


--
-- Name: idx_fk_customer_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_fk_customer_id ON payment USING btree (customer_id);


--
-- Name: idx_fk_film_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_fk_film_id ON film_actor USING btree (film_id);


--
-- Name: idx_fk_inventory_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_fk_inventory_id ON rental USING btree (inventory_id);


--
-- Name: idx_fk_language_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_fk_language_id ON film USING btree (language_id);


--
-- Name: idx_fk_original_language_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_fk_original_language_id ON film USING btree (original_language_id);


--
-- Name: idx_fk_payment_p2007_01_customer_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_fk_payment_p2007_01_customer_id ON payment_p2007_01 USING btree (customer_id);


--
-- Name: idx_fk_payment_p2007_01_staff_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_fk_payment_p2007_01_staff_id ON payment_p2007_01 USING btree (staff_id);


--
-- Name: idx_fk_payment_p2007_02_customer_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_fk_payment_p2007_02_customer_id ON payment_p2007_02 USING btree (customer_id);


--
-- Name: idx_fk_payment_p2007_02_staff_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_fk_payment_p2007_02_staff_id ON payment_p2007_02 USING btree (staff_id);


--
-- Name: idx_fk_payment_p2007_03_customer_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_fk_payment_p2007_03_customer_id ON payment_p2007_03 USING btree (customer_id);


--
-- Name: idx_fk_payment_p2007_03_staff_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_fk_payment_p2007_03_staff_id ON payment_p2007_03 USING btree (staff_id);


--
-- Name: idx_fk_payment_p2007_04_customer_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_fk_payment_p2007_04_customer_id ON payment_p2007_04 USING btree (customer_id);


--
-- Name: idx_fk_payment_p2007_04_staff_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_fk_payment_p2007_04_staff_id ON payment_p2007_04 USING btree (staff_id);


--
-- Name: idx_fk_payment_p2007_05_customer_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_fk_payment_p2007_05_customer_id ON payment_p2007_05 USING btree (customer_id);


--
-- Name: idx_fk_payment_p2007_05_staff_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_fk_payment_p2007_05_staff_id ON payment_p2007_05 USING btree (staff_id);


--
-- Name: idx_fk_payment_p2007_06_customer_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_fk_payment_p2007_06_customer_id ON payment_p2007_06 USING btree (customer_id);


--
-- Name: idx_fk_payment_p2007_06_staff_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_fk_payment_p2007_06_staff_id ON payment_p2007_06 USING btree (staff_id);


--
-- Name: idx_fk_staff_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_fk_staff_id ON payment USING btree (staff_id);


--
-- Name: idx_fk_store_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_fk_store_id ON customer USING btree (store_id);


--
-- Name: idx_last_name; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_last_name ON customer USING btree (last_name);


--
-- Name: idx_store_id_film_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_store_id_film_id ON inventory USING btree (store_id, film_id);


--
-- Name: idx_title; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE INDEX idx_title ON film USING btree (title);


--
-- Name: idx_unq_manager_staff_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE UNIQUE INDEX idx_unq_manager_staff_id ON store USING btree (manager_staff_id);


--
-- Name: idx_unq_rental_rental_date_inventory_id_customer_id; Type: INDEX; Schema: public; Owner: postgres; Tablespace: 
--

CREATE UNIQUE INDEX idx_unq_rental_rental_date_inventory_id_customer_id ON rental USING btree (rental_date, inventory_id, customer_id);


--
-- Name: payment_insert_p2007_01; Type: RULE; Schema: public; Owner: postgres
--

CREATE RULE payment_insert_p2007_01 AS ON INSERT TO payment WHERE ((new.payment_date >= '2007-01-01 00:00:00'::timestamp without time zone) AND (new.payment_date < '2007-02-01 00:00:00'::timestamp without time zone)) DO INSTEAD INSERT INTO payment_p2007_01 (payment_id, customer_id, staff_id, rental_id, amount, payment_date) VALUES (DEFAULT, new.customer_id, new.staff_id, new.rental_id, new.amount, new.payment_date);


--
-- Name: payment_insert_p2007_02; Type: RULE; Schema: public; Owner: postgres
--

CREATE RULE payment_insert_p2007_02 AS ON INSERT TO payment WHERE ((new.payment_date >= '2007-02-01 00:00:00'::timestamp without time zone) AND (new.payment_date < '2007-03-01 00:00:00'::timestamp without time zone)) DO INSTEAD INSERT INTO payment_p2007_02 (payment_id, customer_id, staff_id, rental_id, amount, payment_date) VALUES (DEFAULT, new.customer_id, new.staff_id, new.rental_id, new.amount, new.payment_date);


--
-- Name: payment_insert_p2007_03; Type: RULE; Schema: public; Owner: postgres
--

CREATE RULE payment_insert_p2007_03 AS ON INSERT TO payment WHERE ((new.payment_date >= '2007-03-01 00:00:00'::timestamp without time zone) AND (new.payment_date < '2007-04-01 00:00:00'::timestamp without time zone)) DO INSTEAD INSERT INTO payment_p2007_03 (payment_id, customer_id, staff_id, rental_id, amount, payment_date) VALUES (DEFAULT, new.customer_id, new.staff_id, new.rental_id, new.amount, new.payment_date);


--
-- Name: payment_insert_p2007_04; Type: RULE; Schema: public; Owner: postgres
--

CREATE RULE payment_insert_p2007_04 AS ON INSERT TO payment WHERE ((new.payment_date >= '2007-04-01 00:00:00'::timestamp without time zone) AND (new.payment_date < '2007-05-01 00:00:00'::timestamp without time zone)) DO INSTEAD INSERT INTO payment_p2007_04 (payment_id, customer_id, staff_id, rental_id, amount, payment_date) VALUES (DEFAULT, new.customer_id, new.staff_id, new.rental_id, new.amount, new.payment_date);


--
-- Name: payment_insert_p2007_05; Type: RULE; Schema: public; Owner: postgres
--

CREATE RULE payment_insert_p2007_05 AS ON INSERT TO payment WHERE ((new.payment_date >= '2007-05-01 00:00:00'::timestamp without time zone) AND (new.payment_date < '2007-06-01 00:00:00'::timestamp without time zone)) DO INSTEAD INSERT INTO payment_p2007_05 (payment_id, customer_id, staff_id, rental_id, amount, payment_date) VALUES (DEFAULT, new.customer_id, new.staff_id, new.rental_id, new.amount, new.payment_date);


--
-- Name: payment_insert_p2007_06; Type: RULE; Schema: public; Owner: postgres
--

CREATE RULE payment_insert_p2007_06 AS ON INSERT TO payment WHERE ((new.payment_date >= '2007-06-01 00:00:00'::timestamp without time zone) AND (new.payment_date < '2007-07-01 00:00:00'::timestamp without time zone)) DO INSTEAD INSERT INTO payment_p2007_06 (payment_id, customer_id, staff_id, rental_id, amount, payment_date) VALUES (DEFAULT, new.customer_id, new.staff_id, new.rental_id, new.amount, new.payment_date);


--
-- Name: film_fulltext_trigger; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER film_fulltext_trigger
    BEFORE INSERT OR UPDATE ON film
    FOR EACH ROW
    EXECUTE PROCEDURE tsvector_update_trigger('fulltext', 'pg_catalog.english', 'title', 'description');


--
-- Name: last_updated; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER last_updated
    BEFORE UPDATE ON actor
    FOR EACH ROW
    EXECUTE PROCEDURE last_updated();


--
-- Name: last_updated; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER last_updated
    BEFORE UPDATE ON address
    FOR EACH ROW
    EXECUTE PROCEDURE last_updated();


--
-- Name: last_updated; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER last_updated
    BEFORE UPDATE ON category
    FOR EACH ROW
    EXECUTE PROCEDURE last_updated();


--
-- Name: last_updated; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER last_updated
    BEFORE UPDATE ON city
    FOR EACH ROW
    EXECUTE PROCEDURE last_updated();


--
-- Name: last_updated; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER last_updated
    BEFORE UPDATE ON country
    FOR EACH ROW
    EXECUTE PROCEDURE last_updated();


--
-- Name: last_updated; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER last_updated
    BEFORE UPDATE ON customer
    FOR EACH ROW
    EXECUTE PROCEDURE last_updated();


--
-- Name: last_updated; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER last_updated
    BEFORE UPDATE ON film
    FOR EACH ROW
    EXECUTE PROCEDURE last_updated();


--
-- Name: last_updated; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER last_updated
    BEFORE UPDATE ON film_actor
    FOR EACH ROW
    EXECUTE PROCEDURE last_updated();


--
-- Name: last_updated; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER last_updated
    BEFORE UPDATE ON film_category
    FOR EACH ROW
    EXECUTE PROCEDURE last_updated();


--
-- Name: last_updated; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER last_updated
    BEFORE UPDATE ON inventory
    FOR EACH ROW
    EXECUTE PROCEDURE last_updated();


--
-- Name: last_updated; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER last_updated
    BEFORE UPDATE ON language
    FOR EACH ROW
    EXECUTE PROCEDURE last_updated();


--
-- Name: last_updated; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER last_updated
    BEFORE UPDATE ON rental
    FOR EACH ROW
    EXECUTE PROCEDURE last_updated();


--
-- Name: last_updated; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER last_updated
    BEFORE UPDATE ON staff
    FOR EACH ROW
    EXECUTE PROCEDURE last_updated();


--
-- Name: last_updated; Type: TRIGGER; Schema: public; Owner: postgres
--

CREATE TRIGGER last_updated
    BEFORE UPDATE ON store
    FOR EACH ROW
    EXECUTE PROCEDURE last_updated();


--
-- Name: address_city_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY address
    ADD CONSTRAINT address_city_id_fkey FOREIGN KEY (city_id) REFERENCES city(city_id) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: city_country_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY city
    ADD CONSTRAINT city_country_id_fkey FOREIGN KEY (country_id) REFERENCES country(country_id) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: customer_address_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY customer
    ADD CONSTRAINT customer_address_id_fkey FOREIGN KEY (address_id) REFERENCES address(address_id) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: customer_store_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY customer
    ADD CONSTRAINT customer_store_id_fkey FOREIGN KEY (store_id) REFERENCES store(store_id) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: film_actor_actor_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY film_actor
    ADD CONSTRAINT film_actor_actor_id_fkey FOREIGN KEY (actor_id) REFERENCES actor(actor_id) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: film_actor_film_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY film_actor
    ADD CONSTRAINT film_actor_film_id_fkey FOREIGN KEY (film_id) REFERENCES film(film_id) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: film_category_category_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY film_category
    ADD CONSTRAINT film_category_category_id_fkey FOREIGN KEY (category_id) REFERENCES category(category_id) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: film_category_film_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY film_category
    ADD CONSTRAINT film_category_film_id_fkey FOREIGN KEY (film_id) REFERENCES film(film_id) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: film_language_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY film
    ADD CONSTRAINT film_language_id_fkey FOREIGN KEY (language_id) REFERENCES language(language_id) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: film_original_language_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY film
    ADD CONSTRAINT film_original_language_id_fkey FOREIGN KEY (original_language_id) REFERENCES language(language_id) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: inventory_film_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY inventory
    ADD CONSTRAINT inventory_film_id_fkey FOREIGN KEY (film_id) REFERENCES film(film_id) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: inventory_store_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY inventory
    ADD CONSTRAINT inventory_store_id_fkey FOREIGN KEY (store_id) REFERENCES store(store_id) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: payment_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY payment
    ADD CONSTRAINT payment_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customer(customer_id) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: payment_p2007_01_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY payment_p2007_01
    ADD CONSTRAINT payment_p2007_01_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customer(customer_id);


--
-- Name: payment_p2007_01_rental_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY payment_p2007_01
    ADD CONSTRAINT payment_p2007_01_rental_id_fkey FOREIGN KEY (rental_id) REFERENCES rental(rental_id);


--
-- Name: payment_p2007_01_staff_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY payment_p2007_01
    ADD CONSTRAINT payment_p2007_01_staff_id_fkey FOREIGN KEY (staff_id) REFERENCES staff(staff_id);


--
-- Name: payment_p2007_02_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY payment_p2007_02
    ADD CONSTRAINT payment_p2007_02_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customer(customer_id);


--
-- Name: payment_p2007_02_rental_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY payment_p2007_02
    ADD CONSTRAINT payment_p2007_02_rental_id_fkey FOREIGN KEY (rental_id) REFERENCES rental(rental_id);


--
-- Name: payment_p2007_02_staff_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY payment_p2007_02
    ADD CONSTRAINT payment_p2007_02_staff_id_fkey FOREIGN KEY (staff_id) REFERENCES staff(staff_id);


--
-- Name: payment_p2007_03_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY payment_p2007_03
    ADD CONSTRAINT payment_p2007_03_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customer(customer_id);


--
-- Name: payment_p2007_03_rental_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY payment_p2007_03
    ADD CONSTRAINT payment_p2007_03_rental_id_fkey FOREIGN KEY (rental_id) REFERENCES rental(rental_id);


--
-- Name: payment_p2007_03_staff_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY payment_p2007_03
    ADD CONSTRAINT payment_p2007_03_staff_id_fkey FOREIGN KEY (staff_id) REFERENCES staff(staff_id);


--
-- Name: payment_p2007_04_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY payment_p2007_04
    ADD CONSTRAINT payment_p2007_04_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customer(customer_id);


--
-- Name: payment_p2007_04_rental_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY payment_p2007_04
    ADD CONSTRAINT payment_p2007_04_rental_id_fkey FOREIGN KEY (rental_id) REFERENCES rental(rental_id);


--
-- Name: payment_p2007_04_staff_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY payment_p2007_04
    ADD CONSTRAINT payment_p2007_04_staff_id_fkey FOREIGN KEY (staff_id) REFERENCES staff(staff_id);


--
-- Name: payment_p2007_05_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY payment_p2007_05
    ADD CONSTRAINT payment_p2007_05_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customer(customer_id);


--
-- Name: payment_p2007_05_rental_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY payment_p2007_05
    ADD CONSTRAINT payment_p2007_05_rental_id_fkey FOREIGN KEY (rental_id) REFERENCES rental(rental_id);


--
-- Name: payment_p2007_05_staff_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY payment_p2007_05
    ADD CONSTRAINT payment_p2007_05_staff_id_fkey FOREIGN KEY (staff_id) REFERENCES staff(staff_id);


--
-- Name: payment_p2007_06_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY payment_p2007_06
    ADD CONSTRAINT payment_p2007_06_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customer(customer_id);


--
-- Name: payment_p2007_06_rental_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY payment_p2007_06
    ADD CONSTRAINT payment_p2007_06_rental_id_fkey FOREIGN KEY (rental_id) REFERENCES rental(rental_id);


--
-- Name: payment_p2007_06_staff_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY payment_p2007_06
    ADD CONSTRAINT payment_p2007_06_staff_id_fkey FOREIGN KEY (staff_id) REFERENCES staff(staff_id);


--
-- Name: payment_rental_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY payment
    ADD CONSTRAINT payment_rental_id_fkey FOREIGN KEY (rental_id) REFERENCES rental(rental_id) ON UPDATE CASCADE ON DELETE SET NULL;


--
-- Name: payment_staff_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY payment
    ADD CONSTRAINT payment_staff_id_fkey FOREIGN KEY (staff_id) REFERENCES staff(staff_id) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: rental_customer_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY rental
    ADD CONSTRAINT rental_customer_id_fkey FOREIGN KEY (customer_id) REFERENCES customer(customer_id) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: rental_inventory_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY rental
    ADD CONSTRAINT rental_inventory_id_fkey FOREIGN KEY (inventory_id) REFERENCES inventory(inventory_id) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: rental_staff_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY rental
    ADD CONSTRAINT rental_staff_id_fkey FOREIGN KEY (staff_id) REFERENCES staff(staff_id) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: staff_address_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY staff
    ADD CONSTRAINT staff_address_id_fkey FOREIGN KEY (address_id) REFERENCES address(address_id) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: staff_store_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY staff
    ADD CONSTRAINT staff_store_id_fkey FOREIGN KEY (store_id) REFERENCES store(store_id);


--
-- Name: store_address_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY store
    ADD CONSTRAINT store_address_id_fkey FOREIGN KEY (address_id) REFERENCES address(address_id) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: store_manager_staff_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: postgres
--

ALTER TABLE ONLY store
    ADD CONSTRAINT store_manager_staff_id_fkey FOREIGN KEY (manager_staff_id) REFERENCES staff(staff_id) ON UPDATE CASCADE ON DELETE RESTRICT;


--
-- Name: public; Type: ACL; Schema: -; Owner: postgres
--



--
-- PostgreSQL database dump complete
--

