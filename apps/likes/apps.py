from django.apps import AppConfig


class LikesConfig(AppConfig):
    name = "apps.likes"
    label = "likes"
    verbose_name = "Likes (default, pointing into blog_db and shop_db)"
