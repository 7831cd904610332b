"""The admin's clean-up import page: a dry-run report first, then the import, inline or on a worker."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from lms_identity.models import AccountMark, User
from provisioning.demo import LEGACY_ACCOUNTS
from provisioning.errors import PreviewAlreadyApplied
from provisioning.models import JobKind, JobRun, RunStatus
from provisioning.services.account_imports import apply_preview, run_account_import
from tests.factories import UserFactory
from tests.lms_identity.cleanup.conftest import HEADER, MESSY_CSV, make_legacy, manual

pytestmark = pytest.mark.django_db


def upload(client, text, name="legacy.csv", **fields):
    file = SimpleUploadedFile(name, text if isinstance(text, bytes) else text.encode(), "text/csv")
    return client.post(reverse("account_import"), {"file": file, **fields})


def test_the_dry_run_shows_duplicates_and_readiness_and_changes_nothing(admin_client, adopting_connection):
    legacy = make_legacy()
    accounts = User.objects.count()

    page = upload(admin_client, MESSY_CSV, connection="okta")

    text = page.content.decode()
    assert page.status_code == 200
    # left unmanaged: the four of the report's tests, and the signed-in superuser's own account
    assert "On enabling SCIM: 2 will be matched, 4 created, 5 left unmanaged." in text
    assert "keep jdoe &lt;Jane.Doe@corp.example&gt;; deactivate jane.doe.old" in text
    assert "Problems block this import" in text and 'id="import-apply"' not in text
    assert User.objects.count() == accounts and legacy["jane_old"].is_active
    preview = JobRun.objects.get(kind=JobKind.ACCOUNT_IMPORT)
    assert preview.dry_run and preview.counts["blocked_groups"] == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"id,mail\n1,a@b.example\n", "missing column(s): user_name, email"),
        (b"\x00\x01\x02\xff binary", "not a UTF-8 CSV file"),
    ],
)
def test_a_bad_file_gets_a_sentence_on_the_page(admin_client, content, message):
    page = upload(admin_client, content)

    assert page.status_code == 200 and message in page.content.decode()
    assert not JobRun.objects.exists()


def test_applying_a_small_file_imports_it_at_once(admin_client):
    page = upload(admin_client, HEADER + "ann,ann@corp.example,Ann,Lee,,,,true\n")
    preview = page.context["preview"]

    done = admin_client.post(reverse("account_import_apply", args=[preview.pk]))

    run = JobRun.objects.exclude(pk=preview.pk).get()
    assert done.status_code == 302 and done.url == reverse("admin:provisioning_jobrun_change", args=[run.pk])
    assert run.status == RunStatus.DONE and run.counts["created"] == 1
    assert User.objects.get(user_name="ann").connection is None


def test_a_large_file_runs_on_a_worker_with_progress(
    admin_client, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.ACCOUNT_IMPORT_INLINE_ROWS = 2
    published = []
    monkeypatch.setattr(
        "provisioning.queue.publish", lambda name, kwargs, **_: published.append((name, kwargs))
    )
    rows = "".join(f"p{n},p{n}@corp.example,P,{n},,,,true\n" for n in range(5))
    preview = upload(admin_client, HEADER + rows).context["preview"]

    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post(reverse("account_import_apply", args=[preview.pk]))
    run = JobRun.objects.exclude(pk=preview.pk).get()
    queued = (run.status, run.total, run.processed)
    run_account_import(run.pk)

    run.refresh_from_db()
    assert queued == (RunStatus.QUEUED, 5, 0)
    assert published == [("provisioning.import_accounts", {"job_run_id": run.pk})]
    assert (run.status, run.processed, run.counts["created"]) == (RunStatus.DONE, 5, 5)
    assert run_account_import(run.pk) == {"skipped": 1}  # a second delivery does nothing


def test_an_ld_admin_by_role_checks_and_applies_an_import(client, role_holder):
    client.force_login(role_holder("ld-admin"))
    preview = upload(client, HEADER + "ann,ann@corp.example,,,,,,\n")

    applied = client.post(reverse("account_import_apply", args=[preview.context["preview"].pk]))

    assert preview.status_code == 200 and 'id="import-apply"' in preview.content.decode()
    assert applied.status_code == 302 and User.objects.filter(user_name="ann").exists()


def test_an_auditor_may_neither_check_nor_apply_an_import(client, role_holder):
    client.force_login(role_holder("auditor"))

    page = upload(client, HEADER + "ann,ann@corp.example,,,,,,\n")

    assert page.status_code == 403 and not JobRun.objects.exists()


def test_the_demo_sample_dry_runs_cleanly_against_the_demo_connection(capsys):
    call_command("seed_demo")
    out = io.StringIO()

    call_command("import_accounts", str(LEGACY_ACCOUNTS), "--connection", "demo", "--dry-run", stdout=out)

    text = out.getvalue()
    assert "on enabling SCIM for demo: 2 will be matched, 6 created, 0 left unmanaged" in text
    assert "(file lines 4, 5)\n    the import lands these rows on one account" in text
    assert "matched 2 by externalId" in text
    assert "the same name and manager (file lines 8, 9)" in text
    assert "Dry run: nothing was changed." in text


def test_the_run_page_counts_the_rows_without_showing_their_emails(admin_client):
    preview = upload(admin_client, HEADER + "ann,ann@corp.example,Ann,Lee,,,,true\n").context["preview"]

    page = admin_client.get(reverse("admin:provisioning_jobrun_change", args=[preview.pk]))

    text = page.content.decode()
    assert page.status_code == 200 and "&quot;row_count&quot;: 1" in text and "ann@corp.example" not in text
    assert "Preview of legacy.csv: would create 1 accounts and update 0" in text


def test_a_preview_is_applied_once_and_its_rows_leave_the_job_records(admin_client):
    preview = upload(admin_client, HEADER + "ann,ann@corp.example,Ann,Lee,,,,true\n").context["preview"]
    admin_client.post(reverse("account_import_apply", args=[preview.pk]))

    again = admin_client.post(reverse("account_import_apply", args=[preview.pk]), follow=True)

    assert "This file was imported already" in again.content.decode()
    assert JobRun.objects.filter(kind=JobKind.ACCOUNT_IMPORT).count() == 2
    assert all("ann@corp.example" not in str(run.params) for run in JobRun.objects.all())
    assert {run.params.get("row_count") for run in JobRun.objects.all()} == {1}


def test_two_applies_of_one_preview_at_once_start_one_import(admin_client, system_actor):
    preview = upload(admin_client, HEADER + "ann,ann@corp.example,Ann,Lee,,,,true\n").context["preview"]
    stale = JobRun.objects.get(pk=preview.pk)  # the second click read the preview before the first applied

    apply_preview(preview, actor=system_actor)
    with pytest.raises(PreviewAlreadyApplied):
        apply_preview(stale, actor=system_actor)

    assert JobRun.objects.filter(kind=JobKind.ACCOUNT_IMPORT, dry_run=False).count() == 1


def test_the_jobs_api_counts_a_previews_rows_without_their_names_or_emails(admin_client, api_as):
    upload(admin_client, HEADER + "ann,ann@corp.example,Ann,Lee,,,,true\n")

    response = api_as("auditor").get("/api/v1/job-runs/?kind=account_import")

    text = response.content.decode()
    assert response.status_code == 200 and response.json()["results"][0]["params"]["row_count"] == 1
    assert "ann@corp.example" not in text and "Lee" not in text


def test_the_people_list_links_to_the_import(admin_client):
    page = admin_client.get(reverse("admin:lms_identity_user_changelist"))

    assert reverse("account_import") in page.content.decode()


def test_people_actions_keep_accounts_unmanaged_and_clear_the_mark(admin_client, connection):
    mine = manual("ann", "ann@corp.example")
    idp_owned = UserFactory(connection=connection)
    changelist = reverse("admin:lms_identity_user_changelist")

    kept = admin_client.post(
        changelist, {"action": "keep_unmanaged", "_selected_action": [mine.pk, idp_owned.pk]}, follow=True
    )
    mark = AccountMark.objects.get()
    admin_client.post(changelist, {"action": "clear_cleanup_mark", "_selected_action": [mine.pk]})

    assert (mark.user, mark.kind) == (mine, "keep")
    assert "belongs to an IdP connection already" in kept.content.decode()
    assert not AccountMark.objects.exists()
