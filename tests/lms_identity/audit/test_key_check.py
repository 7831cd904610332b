"""`manage.py check --deploy` refuses a production deployment whose audit chain key was never set."""

from lms_identity.checks import check_audit_hmac_key


def test_a_production_deployment_without_an_audit_key_fails_the_deploy_check(settings):
    settings.DEBUG = False
    settings.AUDIT_HMAC_KEY_IS_SET = False

    errors = check_audit_hmac_key(None)

    assert [e.id for e in errors] == ["lms_identity.E101"]


def test_a_deployment_with_its_own_audit_key_passes(settings):
    settings.DEBUG = False
    settings.AUDIT_HMAC_KEY_IS_SET = True

    assert check_audit_hmac_key(None) == []
