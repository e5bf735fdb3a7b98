"""follow-up cases, alerts, customer history

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 14:36:41.785474
"""
from alembic import op
import sqlalchemy as sa
import surveyapp.models.base


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('alert_preferences',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('updated_at', surveyapp.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint("mode IN ('instant', 'digest', 'off')", name=op.f('ck_alert_preferences_mode')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_alert_preferences_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_alert_preferences'))
    )
    op.create_table('contact_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('occurred_on', sa.Date(), nullable=False),
    sa.Column('mrr_cents', sa.BigInteger(), nullable=False),
    sa.Column('created_at', surveyapp.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('started', 'cancelled', 'mrr_changed')", name=op.f('ck_contact_events_kind')),
    sa.CheckConstraint('mrr_cents >= 0', name=op.f('ck_contact_events_mrr_cents')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_contact_events_contact_id_contacts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_events'))
    )
    with op.batch_alter_table('contact_events', schema=None) as batch_op:
        batch_op.create_index('ix_contact_events_contact_id_occurred_on', ['contact_id', 'occurred_on'], unique=False)
        batch_op.create_index('ix_contact_events_occurred_on', ['occurred_on'], unique=False)

    op.create_table('alert_subscriptions',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('created_at', surveyapp.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_alert_subscriptions_survey_id_surveys'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_alert_subscriptions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'survey_id', name=op.f('pk_alert_subscriptions'))
    )
    with op.batch_alter_table('alert_subscriptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alert_subscriptions_survey_id'), ['survey_id'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('created_at', surveyapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('first_action_at', surveyapp.models.base.UTCDateTime(), nullable=True),
    sa.Column('closed_at', surveyapp.models.base.UTCDateTime(), nullable=True),
    sa.CheckConstraint("reason IN ('detractor', 'low_csat', 'cancellation')", name=op.f('ck_cases_reason')),
    sa.CheckConstraint("status IN ('open', 'in_progress', 'closed')", name=op.f('ck_cases_status')),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_cases_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_cases_response_id_responses'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_cases_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('response_id', name=op.f('uq_cases_response_id'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_assignee_id'), ['assignee_id'], unique=False)
        batch_op.create_index('ix_cases_status_created_at', ['status', 'created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_survey_id'), ['survey_id'], unique=False)

    op.create_table('alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('created_at', surveyapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('queued_at', surveyapp.models.base.UTCDateTime(), nullable=True),
    sa.CheckConstraint("mode IN ('instant', 'digest')", name=op.f('ck_alerts_mode')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_alerts_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_alerts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
    sa.UniqueConstraint('user_id', 'case_id', name=op.f('uq_alerts_user_id_case_id'))
    )
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_alerts_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_alerts_queued_at_user_id', ['queued_at', 'user_id'], unique=False)

    op.create_table('case_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', surveyapp.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('note', 'reply', 'event')", name=op.f('ck_case_notes_kind')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_case_notes_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_notes_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_notes'))
    )
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_notes_case_id'), ['case_id'], unique=False)

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('customer_status', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('started_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('cancelled_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('mrr_cents', sa.BigInteger(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_contacts_customer_status'),
            "customer_status IS NULL OR customer_status IN ('active', 'cancelled')",
        )

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_messages_kind'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_outbox_messages_kind'),
            "kind IN ('invitation', 'reminder', 'webhook', 'alert', 'case_reply')",
        )



def downgrade() -> None:
    op.execute("DELETE FROM outbox_messages WHERE kind IN ('alert', 'case_reply')")
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_messages_kind'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_outbox_messages_kind'), "kind IN ('invitation', 'reminder', 'webhook')"
        )

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_contacts_customer_status'), type_='check')
        batch_op.drop_column('mrr_cents')
        batch_op.drop_column('cancelled_on')
        batch_op.drop_column('started_on')
        batch_op.drop_column('customer_status')

    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_notes_case_id'))

    op.drop_table('case_notes')
    with op.batch_alter_table('alerts', schema=None) as batch_op:
        batch_op.drop_index('ix_alerts_queued_at_user_id')
        batch_op.drop_index(batch_op.f('ix_alerts_case_id'))

    op.drop_table('alerts')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_survey_id'))
        batch_op.drop_index('ix_cases_status_created_at')
        batch_op.drop_index(batch_op.f('ix_cases_assignee_id'))

    op.drop_table('cases')
    with op.batch_alter_table('alert_subscriptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_alert_subscriptions_survey_id'))

    op.drop_table('alert_subscriptions')
    with op.batch_alter_table('contact_events', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_events_occurred_on')
        batch_op.drop_index('ix_contact_events_contact_id_occurred_on')

    op.drop_table('contact_events')
    op.drop_table('alert_preferences')
