"""reason taxonomy: tags and keywords, corrections, re-tagging jobs

Seeds the 13 built-in tags of PRODUCT.md § Churn reasons with their English and
French labels.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 16:07:12.412988
"""
import datetime as dt

from alembic import op
import sqlalchemy as sa
import surveyapp.models.base


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

BUILTIN_TAGS = (
    ("price", "Price", "Prix"),
    ("missing_feature", "Missing feature", "Fonctionnalité manquante"),
    ("bugs_reliability", "Bugs and reliability", "Bugs et fiabilité"),
    ("performance", "Performance", "Performances"),
    ("support", "Support", "Support"),
    ("usability", "Usability", "Facilité d'utilisation"),
    ("onboarding", "Onboarding", "Mise en route"),
    ("competitor", "Competitor", "Concurrent"),
    ("no_longer_needed", "No longer needed", "Plus besoin"),
    ("business_closed", "Business closed", "Cessation d'activité"),
    ("billing", "Billing", "Facturation"),
    ("privacy_security", "Privacy and security", "Confidentialité et sécurité"),
    ("other", "Other", "Autre"),
)


def upgrade() -> None:
    op.create_table('reason_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('label_en', sa.String(length=80), nullable=False),
    sa.Column('label_fr', sa.String(length=80), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('builtin', sa.Boolean(), nullable=False),
    sa.Column('created_at', surveyapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', surveyapp.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint("status IN ('active', 'retired', 'merged')", name=op.f('ck_reason_tags_status')),
    sa.ForeignKeyConstraint(['merged_into_id'], ['reason_tags.id'], name=op.f('fk_reason_tags_merged_into_id_reason_tags')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reason_tags')),
    sa.UniqueConstraint('code', name=op.f('uq_reason_tags_code'))
    )
    op.create_table('reason_keywords',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('tag_id', sa.Integer(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('phrase', sa.String(length=100), nullable=False),
    sa.Column('folded', sa.String(length=100), nullable=False),
    sa.Column('created_at', surveyapp.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint("language IN ('en', 'fr')", name=op.f('ck_reason_keywords_language')),
    sa.ForeignKeyConstraint(['tag_id'], ['reason_tags.id'], name=op.f('fk_reason_keywords_tag_id_reason_tags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reason_keywords')),
    sa.UniqueConstraint('language', 'folded', name=op.f('uq_reason_keywords_language_folded'))
    )
    with op.batch_alter_table('reason_keywords', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reason_keywords_tag_id'), ['tag_id'], unique=False)

    op.create_table('retag_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('cursor', sa.Integer(), nullable=False),
    sa.Column('changed', sa.Integer(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('lease_owner', sa.String(length=64), nullable=True),
    sa.Column('lease_expires_at', surveyapp.models.base.UTCDateTime(), nullable=True),
    sa.Column('created_at', surveyapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('started_at', surveyapp.models.base.UTCDateTime(), nullable=True),
    sa.Column('finished_at', surveyapp.models.base.UTCDateTime(), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'running', 'done', 'failed')", name=op.f('ck_retag_jobs_status')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_retag_jobs_requested_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_retag_jobs'))
    )
    with op.batch_alter_table('retag_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_retag_jobs_status', ['status'], unique=False)

    op.create_table('tag_corrections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('answer_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=40), nullable=False),
    sa.Column('action', sa.String(length=6), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', surveyapp.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint("action IN ('add', 'remove')", name=op.f('ck_tag_corrections_action')),
    sa.ForeignKeyConstraint(['answer_id'], ['answers.id'], name=op.f('fk_tag_corrections_answer_id_answers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_tag_corrections_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tag_corrections'))
    )
    with op.batch_alter_table('tag_corrections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tag_corrections_answer_id'), ['answer_id'], unique=False)

    now = dt.datetime.now(dt.UTC)
    tags = sa.table(
        'reason_tags',
        sa.column('code', sa.String),
        sa.column('label_en', sa.String),
        sa.column('label_fr', sa.String),
        sa.column('status', sa.String),
        sa.column('builtin', sa.Boolean),
        sa.column('created_at', surveyapp.models.base.UTCDateTime()),
        sa.column('updated_at', surveyapp.models.base.UTCDateTime()),
    )
    op.bulk_insert(tags, [
        {'code': code, 'label_en': en, 'label_fr': fr, 'status': 'active', 'builtin': True,
         'created_at': now, 'updated_at': now}
        for code, en, fr in BUILTIN_TAGS
    ])


def downgrade() -> None:
    with op.batch_alter_table('tag_corrections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tag_corrections_answer_id'))

    op.drop_table('tag_corrections')
    with op.batch_alter_table('retag_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_retag_jobs_status')

    op.drop_table('retag_jobs')
    with op.batch_alter_table('reason_keywords', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reason_keywords_tag_id'))

    op.drop_table('reason_keywords')
    op.drop_table('reason_tags')
