DROP TABLE refresh_log;
DROP VIEW posts;
DROP VIEW post_comments;
DROP TABLE daily_product_revenue;
DROP VIEW order_lines;
DROP VIEW user_metrics;
