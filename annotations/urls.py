from django.urls import path

from . import double_views, views

app_name = "annotations"

urlpatterns = [
    # Articles
    path("", views.article_list, name="article_list"),
    path("labels.css", views.label_styles, name="label_styles"),
    path("articles/new/", views.article_new, name="article_new"),
    path("articles/<int:pk>/", views.article_detail, name="article_detail"),
    # Spans of an article
    path("articles/<int:pk>/spans/", views.span_create, name="span_create"),
    path(
        "articles/<int:pk>/spans/<int:span_pk>/",
        views.span_update,
        name="span_update",
    ),
    path(
        "articles/<int:pk>/spans/<int:span_pk>/delete/",
        views.span_delete,
        name="span_delete",
    ),
    path(
        "articles/<int:pk>/spans/<int:span_pk>/move/",
        views.span_move,
        name="span_move",
    ),
    path("articles/<int:pk>/undo/", views.span_undo, name="span_undo"),
    # Suggestions of an article
    path("articles/<int:pk>/suggest/", views.article_suggest, name="article_suggest"),
    path(
        "articles/<int:pk>/spans/<int:span_pk>/accept/",
        views.suggestion_accept,
        name="suggestion_accept",
    ),
    path(
        "articles/<int:pk>/spans/<int:span_pk>/dismiss/",
        views.suggestion_dismiss,
        name="suggestion_dismiss",
    ),
    path(
        "articles/<int:pk>/spans/<int:span_pk>/adjust/",
        views.suggestion_adjust,
        name="suggestion_adjust",
    ),
    path(
        "articles/<int:pk>/suggestions/accept/",
        views.suggestions_accept,
        name="suggestions_accept",
    ),
    # Review
    path("review/", views.review_queue, name="review_queue"),
    path(
        "review/spans/<int:span_pk>/approve/",
        views.review_approve,
        name="review_approve",
    ),
    path(
        "review/spans/<int:span_pk>/reject/",
        views.review_reject,
        name="review_reject",
    ),
    path(
        "articles/<int:pk>/spans/<int:span_pk>/approve/",
        views.span_approve,
        name="span_approve",
    ),
    path(
        "articles/<int:pk>/spans/<int:span_pk>/reject/",
        views.span_reject,
        name="span_reject",
    ),
    path(
        "articles/<int:pk>/approve-pending/",
        views.article_approve_pending,
        name="article_approve_pending",
    ),
    path("stats/", views.review_stats, name="review_stats"),
    path("keys/", views.keys_help, name="keys"),
    # Double annotation
    path("articles/assign/", double_views.articles_assign, name="articles_assign"),
    path(
        "articles/<int:pk>/adjudicate/",
        double_views.article_adjudicate,
        name="article_adjudicate",
    ),
    path(
        "articles/<int:pk>/feedback/",
        double_views.article_feedback,
        name="article_feedback",
    ),
    path("agreement/", double_views.agreement_page, name="agreement"),
    # History
    path("articles/<int:pk>/history/", views.article_history, name="article_history"),
    path("spans/<int:span_pk>/history/", views.span_history, name="span_history"),
    # API tokens
    path("tokens/", views.token_list, name="token_list"),
    path("tokens/new/", views.token_create, name="token_create"),
    path("tokens/<int:pk>/revoke/", views.token_revoke, name="token_revoke"),
    # Exports and dataset snapshots
    path("export/", views.export_page, name="export"),
    path("datasets/", views.dataset_list, name="dataset_list"),
    # Account and language
    path("account/", views.account, name="account"),
    path("language/", views.set_language, name="set_language"),
]
