-- The same objects as 0001_reporting.postgresql.sql, for the embedded warehouse
-- (var/analytics.sqlite3). SQLite has no schemas, so the names carry none; no
-- materialized views, so daily_product_revenue is a table that refresh_reports
-- rebuilds in one transaction; and datetimes are ISO text, so a day is date().
CREATE VIEW user_metrics AS
SELECT u.id AS user_id,
       u.username,
       u.date_joined AS created_at,
       COALESCE(o.orders, 0) AS orders,
       COALESCE(o.revenue, 0) AS revenue,
       COALESCE(p.posts, 0) AS posts,
       COALESCE(c.comments, 0) AS comments
FROM accounts_user u
LEFT JOIN (SELECT customer_id, count(*) AS orders, sum(total) AS revenue
           FROM shop_order WHERE status = 'placed'
           GROUP BY customer_id) o ON o.customer_id = u.id
LEFT JOIN (SELECT author_id, count(*) AS posts FROM blog_post
           GROUP BY author_id) p ON p.author_id = u.id
LEFT JOIN (SELECT author_id, count(*) AS comments FROM blog_comment
           GROUP BY author_id) c ON c.author_id = u.id;

CREATE VIEW order_lines AS
SELECT i.id AS line_id,
       i.order_id,
       o.created_at,
       o.customer_id,
       i.product_id,
       p.name AS product_name,
       i.quantity,
       i.quantity * i.unit_price AS revenue
FROM shop_orderitem i
JOIN shop_order o ON o.id = i.order_id
LEFT JOIN shop_product p ON p.id = i.product_id
WHERE o.status = 'placed';

CREATE TABLE daily_product_revenue (
    day date NOT NULL,
    product_id bigint NOT NULL,
    product_name text,
    units bigint NOT NULL,
    orders bigint NOT NULL,
    revenue decimal NOT NULL
);
CREATE UNIQUE INDEX daily_product_revenue_day_product
    ON daily_product_revenue (day, product_id);

CREATE VIEW post_comments AS
SELECT c.id AS comment_id,
       c.created_at,
       c.post_id,
       p.author_id,
       u.username AS author
FROM blog_comment c
JOIN blog_post p ON p.id = c.post_id
LEFT JOIN accounts_user u ON u.id = p.author_id;

CREATE VIEW posts AS
SELECT p.id AS post_id, p.created_at, p.author_id, u.username AS author
FROM blog_post p
LEFT JOIN accounts_user u ON u.id = p.author_id;

CREATE TABLE refresh_log (
    name text PRIMARY KEY,
    refreshed_at text NOT NULL,
    duration_ms real NOT NULL,
    row_count integer NOT NULL
);
