# Encrypts the OIDC client secrets already stored in plain text. The column first becomes a plain text
# column (a Fernet token is longer than 500 characters), the rows are rewritten through it, and only then
# does the model read it through EncryptedTextField. Reversible: the way back decrypts.

import lms_identity.models.encrypted_fields
from django.db import migrations, models

from lms_identity.encryption import decrypt_text, encrypt_text


def _rewrite(apps, convert):
    OidcConfig = apps.get_model("lms_identity", "OidcConfig")
    for pk, value in OidcConfig.objects.exclude(client_secret="").values_list("pk", "client_secret"):
        OidcConfig.objects.filter(pk=pk).update(client_secret=convert(value))


def encrypt_existing(apps, schema_editor):
    _rewrite(apps, encrypt_text)


def decrypt_existing(apps, schema_editor):
    _rewrite(apps, decrypt_text)


class Migration(migrations.Migration):

    dependencies = [
        ('lms_identity', '0006_stored_json_and_unicode_lower'),
    ]

    operations = [
        migrations.AlterField(
            model_name='oidcconfig',
            name='client_secret',
            field=models.TextField(blank=True, default=''),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
        migrations.AlterField(
            model_name='oidcconfig',
            name='client_secret',
            field=lms_identity.models.encrypted_fields.EncryptedTextField(blank=True, default='', help_text='Stored encrypted; write-only.'),
        ),
    ]
