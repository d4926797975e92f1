-- The warehouse's reporting objects, in their own schema. They read the copies
-- that logical replication keeps in public (apps/analytics/replication.py):
-- accounts_user from default, blog_* from blog_db, shop_* from shop_db. Views
-- read with their owner's rights, so the site's read-only role needs SELECT
-- on this schema alone (migration 0001 grants it).
CREATE SCHEMA analytics;

-- One row per user. It joins default's users with shop_db's orders and blog_db's
-- posts and comments, which no source database can do. Revenue counts placed
-- orders (not cancelled ones); created_at is when the user joined.
CREATE VIEW analytics.user_metrics AS
SELECT u.id AS user_id,
       u.username,
       u.date_joined AS created_at,
       COALESCE(o.orders, 0) AS orders,
       COALESCE(o.revenue, 0) AS revenue,
       COALESCE(p.posts, 0) AS posts,
       COALESCE(c.comments, 0) AS comments
FROM public.accounts_user u
LEFT JOIN (SELECT customer_id, count(*) AS orders, sum(total) AS revenue
           FROM public.shop_order WHERE status = 'placed'
           GROUP BY customer_id) o ON o.customer_id = u.id
LEFT JOIN (SELECT author_id, count(*) AS posts FROM public.blog_post
           GROUP BY author_id) p ON p.author_id = u.id
LEFT JOIN (SELECT author_id, count(*) AS comments FROM public.blog_comment
           GROUP BY author_id) c ON c.author_id = u.id;

-- Each line of a placed order, with its order's time and the product's name:
-- what the product report computes from when it runs live.
CREATE VIEW analytics.order_lines AS
SELECT i.id AS line_id,
       i.order_id,
       o.created_at,
       o.customer_id,
       i.product_id,
       p.name AS product_name,
       i.quantity,
       i.quantity * i.unit_price AS revenue
FROM public.shop_orderitem i
JOIN public.shop_order o ON o.id = i.order_id
LEFT JOIN public.shop_product p ON p.id = i.product_id
WHERE o.status = 'placed';

-- Revenue per product per day (UTC), precomputed. The unique index lets
-- `manage.py refresh_reports` refresh it CONCURRENTLY: readers keep the old rows
-- until the new ones are ready.
CREATE MATERIALIZED VIEW analytics.daily_product_revenue AS
SELECT (created_at AT TIME ZONE 'UTC')::date AS day,
       product_id,
       max(product_name) AS product_name,
       sum(quantity) AS units,
       count(DISTINCT order_id) AS orders,
       sum(revenue) AS revenue
FROM analytics.order_lines
GROUP BY 1, 2;
CREATE UNIQUE INDEX daily_product_revenue_day_product
    ON analytics.daily_product_revenue (day, product_id);

-- Each comment with the author of the post it was left on.
CREATE VIEW analytics.post_comments AS
SELECT c.id AS comment_id,
       c.created_at,
       c.post_id,
       p.author_id,
       u.username AS author
FROM public.blog_comment c
JOIN public.blog_post p ON p.id = c.post_id
LEFT JOIN public.accounts_user u ON u.id = p.author_id;

-- Each post with its author's name.
CREATE VIEW analytics.posts AS
SELECT p.id AS post_id, p.created_at, p.author_id, u.username AS author
FROM public.blog_post p
LEFT JOIN public.accounts_user u ON u.id = p.author_id;

-- When each materialized view (and, on SQLite, the copy) was last brought up to date.
CREATE TABLE analytics.refresh_log (
    name text PRIMARY KEY,
    refreshed_at timestamptz NOT NULL,
    duration_ms double precision NOT NULL,
    row_count bigint NOT NULL
);
