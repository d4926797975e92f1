DROP TABLE analytics.refresh_log;
DROP VIEW analytics.posts;
DROP VIEW analytics.post_comments;
DROP MATERIALIZED VIEW analytics.daily_product_revenue;
DROP VIEW analytics.order_lines;
DROP VIEW analytics.user_metrics;
DROP SCHEMA analytics;
