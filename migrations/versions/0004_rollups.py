"""rollups

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:22:53.617609
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('rollup_state',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('value', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_rollup_state'))
    )
    op.create_table('daily_rollups',
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('segment_key', sa.String(length=64), nullable=False),
    sa.Column('segment_value', sa.String(length=200), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('c0', sa.Integer(), nullable=False),
    sa.Column('c1', sa.Integer(), nullable=False),
    sa.Column('c2', sa.Integer(), nullable=False),
    sa.Column('c3', sa.Integer(), nullable=False),
    sa.Column('c4', sa.Integer(), nullable=False),
    sa.Column('c5', sa.Integer(), nullable=False),
    sa.Column('c6', sa.Integer(), nullable=False),
    sa.Column('c7', sa.Integer(), nullable=False),
    sa.Column('c8', sa.Integer(), nullable=False),
    sa.Column('c9', sa.Integer(), nullable=False),
    sa.Column('c10', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_daily_rollups_survey_id_surveys'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('survey_id', 'segment_key', 'segment_value', 'day', name=op.f('pk_daily_rollups'))
    )
    # No backfill here: a migration must not call application code that later changes.
    # This migration shipped together with the first release, so no database had
    # responses before it; run `flask rebuild-rollups` if yours did.


def downgrade() -> None:
    op.drop_table('daily_rollups')
    op.drop_table('rollup_state')
