"""pseudonymous answers: answers under a round-specific respondent key, the person-to-key link in its own
table, the team of unlinked keys kept after an erasure, and the scores retention keeps for trends

Existing answers get a random key per (round, respondent) and a link to it, so nothing is lost.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

# A random key in SQL (so the migration also runs offline): 32 hex characters, never derived from an id.
RANDOM_KEY = {
    'sqlite': 'lower(hex(randomblob(16)))',
    'postgresql': "md5(random()::text || clock_timestamp()::text || pairs.round_id || ':' || pairs.respondent_id)",
}


def upgrade() -> None:
    op.create_table('respondent_link',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('respondent_id', sa.Integer(), nullable=False),
    sa.Column('respondent_key', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['respondent_id'], ['respondent.id'], ),
    sa.ForeignKeyConstraint(['round_id'], ['assessment_round.id'], ),
    sa.PrimaryKeyConstraint('round_id', 'respondent_id'),
    sa.UniqueConstraint('respondent_key', name='uq_respondent_link_key')
    )
    op.create_table('key_team',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('respondent_key', sa.String(length=32), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['assessment_round.id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ),
    sa.PrimaryKeyConstraint('round_id', 'respondent_key', 'team_id')
    )
    op.create_table('kept_score',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.Column('question', sa.String(length=64), nullable=False),
    sa.Column('value', sa.String(length=16), nullable=False),
    sa.Column('count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['assessment_round.id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ),
    sa.PrimaryKeyConstraint('round_id', 'team_id', 'question', 'value')
    )
    dialect = op.get_context().dialect.name
    op.execute(
        "INSERT INTO respondent_link (round_id, respondent_id, respondent_key) "
        f"SELECT pairs.round_id, pairs.respondent_id, {RANDOM_KEY.get(dialect, RANDOM_KEY['postgresql'])} "
        "FROM (SELECT DISTINCT round_id, respondent_id FROM answer) AS pairs")
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('respondent_key', sa.String(length=32), nullable=True))
    op.execute(
        "UPDATE answer SET respondent_key = (SELECT respondent_link.respondent_key FROM respondent_link "
        "WHERE respondent_link.round_id = answer.round_id AND respondent_link.respondent_id = answer.respondent_id)")
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_index('ix_answer_round_respondent')
        if dialect == 'postgresql':
            batch_op.drop_constraint('answer_respondent_id_fkey', type_='foreignkey')
        batch_op.drop_column('respondent_id')
        batch_op.alter_column('respondent_key', existing_type=sa.String(length=32),
                              nullable=False)
        batch_op.create_index('ix_answer_round_key', ['round_id', 'respondent_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('respondent_id', sa.Integer(), nullable=True))
    op.execute(  # answers whose link was deleted (erasure, retention) cannot be given back to anyone
        "DELETE FROM answer WHERE NOT EXISTS (SELECT 1 FROM respondent_link "
        "WHERE respondent_link.respondent_key = answer.respondent_key)")
    op.execute(
        "UPDATE answer SET respondent_id = (SELECT respondent_link.respondent_id FROM respondent_link "
        "WHERE respondent_link.respondent_key = answer.respondent_key)")
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_index('ix_answer_round_key')
        batch_op.drop_column('respondent_key')
        batch_op.alter_column('respondent_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_foreign_key('answer_respondent_id_fkey', 'respondent', ['respondent_id'], ['id'])
        batch_op.create_index('ix_answer_round_respondent', ['round_id', 'respondent_id'], unique=False)
    op.drop_table('kept_score')
    op.drop_table('key_team')
    op.drop_table('respondent_link')
