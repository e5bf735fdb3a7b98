"""answer tags and sentiment

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 15:18:15.927329
"""
from alembic import op
import sqlalchemy as sa
import surveyapp.models.base
from sqlalchemy.dialects import postgresql


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('answer_tags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('answer_id', sa.Integer(), nullable=False),
    sa.Column('tag', sa.String(length=40), nullable=False),
    sa.Column('confidence', sa.Double(), nullable=False),
    sa.Column('words', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('created_at', surveyapp.models.base.UTCDateTime(), nullable=False),
    sa.CheckConstraint("source IN ('rule', 'choice', 'manual', 'model')", name=op.f('ck_answer_tags_source')),
    sa.ForeignKeyConstraint(['answer_id'], ['answers.id'], name=op.f('fk_answer_tags_answer_id_answers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer_tags')),
    sa.UniqueConstraint('answer_id', 'tag', name=op.f('uq_answer_tags_answer_id_tag'))
    )
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sentiment', sa.Double(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_column('sentiment')

    op.drop_table('answer_tags')
