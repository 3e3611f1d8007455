from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from . import permissions
from .models import Article


@require_GET
@login_required
def article_list(request):
    articles = Article.objects.visible_to(request.user).select_related("uploaded_by")
    context = {
        "articles": articles[:50],
        "roles": sorted(permissions.roles(request.user)),
    }
    return render(request, "annotations/article_list.html", context)
