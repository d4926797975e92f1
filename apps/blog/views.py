from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from apps.blog import selectors, services
from apps.blog.forms import CommentForm, PostForm
from apps.blog.models import Post
from apps.core.paging import page_size_from
from apps.likes.selectors import like_summary

DEFAULT_PAGE_SIZE = 10


@require_safe
def post_list(request):
    posts = selectors.post_list(
        tag_slug=request.GET.get("tag") or None,
        author_username=request.GET.get("author") or None,
    )
    per_page = page_size_from(request.GET.get("per_page"), default=DEFAULT_PAGE_SIZE)
    page = Paginator(posts, per_page).get_page(request.GET.get("page"))
    return render(request, "blog/post_list.html", {"page": page, "per_page": per_page})


@require_http_methods(["GET", "POST"])
def post_detail(request, pk, slug):
    try:
        post = selectors.post_detail(pk=pk)
    except Post.DoesNotExist:
        raise Http404("No such post.") from None
    if slug != post.slug:
        return redirect(post, permanent=True)
    form = CommentForm(request.POST or None)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"/accounts/login/?next={post.get_absolute_url()}")
        if form.is_valid():
            services.comment_create(post=post, author=request.user, body=form.cleaned_data["body"])
            messages.success(request, "Comment added.")
            return redirect(post)
    likes = like_summary(target=post, user=request.user)
    return render(request, "blog/post_detail.html", {"post": post, "form": form, "likes": likes})


@login_required
@require_http_methods(["GET", "POST"])
def post_create(request):
    form = PostForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        post = services.post_create(
            author=request.user,
            title=form.cleaned_data["title"],
            content=form.cleaned_data["content"],
            tag_names=form.cleaned_data["tags"],
        )
        messages.success(request, f"Published “{post.title}” to blog_db.")
        return redirect("blog:post_list")
    return render(request, "blog/post_form.html", {"form": form})
