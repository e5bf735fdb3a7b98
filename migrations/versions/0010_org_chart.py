"""org chart, HR capability, survey shares, per-survey reporting threshold

Existing admins get the HR capability, so that no eNPS survey they could see
before disappears on upgrade; they can hand it over afterwards.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 16:06:19.754516
"""
from alembic import op
import sqlalchemy as sa
import surveyapp.models.base


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('teams',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('department', sa.String(length=200), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('created_at', surveyapp.models.base.UTCDateTime(), nullable=False),
    sa.Column('updated_at', surveyapp.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['teams.id'], name=op.f('fk_teams_parent_id_teams'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_teams')),
    sa.UniqueConstraint('name', name=op.f('uq_teams_name'))
    )
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_teams_parent_id'), ['parent_id'], unique=False)

    op.create_table('team_managers',
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_team_managers_team_id_teams'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('team_id', 'email', name=op.f('pk_team_managers'))
    )
    with op.batch_alter_table('team_managers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_team_managers_email'), ['email'], unique=False)

    op.create_table('survey_shares',
    sa.Column('survey_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', surveyapp.models.base.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['survey_id'], ['surveys.id'], name=op.f('fk_survey_shares_survey_id_surveys'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_survey_shares_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('survey_id', 'user_id', name=op.f('pk_survey_shares'))
    )
    with op.batch_alter_table('survey_shares', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_survey_shares_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reporting_threshold', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_surveys_reporting_threshold'), 'reporting_threshold IS NULL OR reporting_threshold >= 3'
        )

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hr', sa.Boolean(), server_default=sa.false(), nullable=False))

    users = sa.table('users', sa.column('role', sa.String()), sa.column('hr', sa.Boolean()))
    op.execute(users.update().where(users.c.role == 'admin').values(hr=True))



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('hr')

    with op.batch_alter_table('surveys', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_surveys_reporting_threshold'), type_='check')
        batch_op.drop_column('reporting_threshold')

    with op.batch_alter_table('survey_shares', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_survey_shares_user_id'))

    op.drop_table('survey_shares')
    with op.batch_alter_table('team_managers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_team_managers_email'))

    op.drop_table('team_managers')
    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_teams_parent_id'))

    op.drop_table('teams')
