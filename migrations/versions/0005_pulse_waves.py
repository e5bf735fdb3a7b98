"""pulse waves

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 14:31:06.324950
"""
from alembic import op
import sqlalchemy as sa
import surveyapp.models.base


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('pulse_waves',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('opens_at', surveyapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('created_at', surveyapp.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_pulse_waves_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pulse_waves')),
    sa.UniqueConstraint('survey_id', 'number', name=op.f('uq_pulse_waves_survey_id_number'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wave_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_invitations_wave_id'), ['wave_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_invitations_wave_id_pulse_waves'), 'pulse_waves', ['wave_id'], ['id'], ondelete='SET NULL')




def downgrade() -> None:

    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_invitations_wave_id_pulse_waves'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_invitations_wave_id'))
        batch_op.drop_column('wave_id')

    op.drop_table('pulse_waves')

