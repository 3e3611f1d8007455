import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from annotations import permissions
from annotations.models import Article, AuditEvent, Label, Span

pytestmark = pytest.mark.django_db
User = get_user_model()


def test_it_seeds_the_four_labels_with_shortcuts_after_migrate():
    rows = set(Label.objects.values_list("slug", "shortcut"))
    assert rows == {("quote", "q"), ("claim", "c"), ("entity", "e"), ("opinion", "o")}
    colours = list(Label.objects.values_list("colour", flat=True))
    assert len(set(colours)) == 4


def test_it_seeds_the_role_groups_after_migrate():
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "editor",
        "reviewer",
        "consumer",
    }


def test_it_seeds_demo_data_once(capsys, seeded):
    call_command("seed_demo")
    first = capsys.readouterr().out
    counts = (
        User.objects.count(),
        Article.objects.count(),
        Span.objects.count(),
        AuditEvent.objects.count(),
    )
    call_command("seed_demo")
    second = capsys.readouterr().out
    assert counts == (
        User.objects.count(),
        Article.objects.count(),
        Span.objects.count(),
        AuditEvent.objects.count(),
    )
    assert first.count("password ") == 4
    assert "password unchanged" in second
    assert "password " not in second.replace("password unchanged", "")


def test_it_seeds_users_who_can_log_in_with_the_printed_password(
    client, capsys, seeded
):
    call_command("seed_demo")
    out = capsys.readouterr().out
    passwords = dict(
        (line.split()[1], line.split()[3])
        for line in out.splitlines()
        if line.startswith("User ")
    )
    response = client.post(
        "/accounts/login/", {"username": "editor", "password": passwords["editor"]}
    )
    assert response.status_code == 302
    assert client.get("/").context["user"].get_username() == "editor"
    assert permissions.can(User.objects.get(username="editor"), "add_span") is True
    assert permissions.can(User.objects.get(username="reviewer"), "review_span") is True
    assert permissions.is_admin(User.objects.get(username="admin")) is True


def test_it_seeds_exact_spans_with_guillemets_accents_and_emoji(seeded):
    call_command("seed_demo")
    french = Article.objects.get(language="fr")
    assert "«" in french.text and "🚲" in french.text and "é" in french.text
    for span in Span.objects.select_related("article"):
        assert span.article.text[span.start : span.end] == span.text
    quote = Span.objects.get(label__slug="quote", article=french)
    assert quote.source.text == "Claire Dumont"
    assert quote.status == "approved"


def test_it_resets_demo_passwords_on_request(capsys, seeded):
    call_command("seed_demo")
    capsys.readouterr()
    call_command("seed_demo", "--reset-passwords")
    assert capsys.readouterr().out.count("password ") == 4


@pytest.mark.parametrize("role", ["editor", "reviewer", "consumer"])
def test_it_creates_a_user_with_a_role(seeded, role):
    call_command(
        "createuser", "zoe", "--role", role, "--password", "S3cure-pass-phrase"
    )
    user = User.objects.get(username="zoe")
    assert user.check_password("S3cure-pass-phrase") is True
    assert permissions.roles(user) == {role}


def test_it_creates_an_admin(seeded):
    call_command(
        "createuser", "root2", "--role", "admin", "--password", "S3cure-pass-phrase"
    )
    user = User.objects.get(username="root2")
    assert user.is_staff is True and user.is_superuser is True


def test_it_refuses_an_unknown_role(seeded):
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("createuser", "zoe", "--role", "boss", "--password", "x")


def test_it_refuses_a_weak_password(seeded):
    with pytest.raises(CommandError, match="Password refused"):
        call_command("createuser", "zoe", "--role", "editor", "--password", "123")
    assert not User.objects.filter(username="zoe").exists()


def test_it_refuses_an_existing_name(alice):
    with pytest.raises(CommandError, match="already exists"):
        call_command(
            "createuser", "alice", "--role", "editor", "--password", "S3cure-pass"
        )


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("zoé dupont", "Enter a valid username"),
        ("zoe<script>", "Enter a valid username"),
        ("z" * 151, "at most 150 characters"),
        ("", "This field is required"),
    ],
)
def test_it_refuses_a_username_the_admin_form_refuses(seeded, username, message):
    with pytest.raises(CommandError, match=f"Username refused: .*{message}"):
        call_command(
            "createuser", username, "--role", "editor", "--password", "S3cure-pass"
        )
    assert User.objects.count() == 0


def test_it_refuses_a_name_that_differs_only_in_case(alice):
    # As the admin form does: "Alice" and "alice" would be two people to a reader.
    with pytest.raises(CommandError, match="Username refused: .*already exists"):
        call_command(
            "createuser", "Alice", "--role", "editor", "--password", "S3cure-pass"
        )
    assert not User.objects.filter(username="Alice").exists()


def test_it_refuses_a_taken_name_before_asking_for_a_password(alice):
    # No --password and no terminal: the name is refused before any prompt.
    with pytest.raises(CommandError, match="Username refused: .*already exists"):
        call_command("createuser", "ALICE", "--role", "editor")


def test_it_records_the_new_user_and_roles_in_the_audit_trail(seeded):
    from annotations.models import AuditEvent

    call_command(
        "createuser",
        "zoe",
        "--role",
        "editor",
        "--role",
        "reviewer",
        "--password",
        "S3cure-pass-phrase",
    )
    event = AuditEvent.objects.get(object_type="user")
    assert (event.action, event.actor, event.actor_username) == ("create", None, "")
    assert event.after == {"username": "zoe", "roles": ["editor", "reviewer"]}
