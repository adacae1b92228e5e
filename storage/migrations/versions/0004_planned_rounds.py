"""planned rounds: decision date, window, deadlines, responsible person, teams

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('assessment_round', schema=None) as batch_op:
        batch_op.add_column(sa.Column('decision_date', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('window_end', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('part1_deadline', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('part2_deadline', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('responsible', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch_op.add_column(sa.Column('opened_by', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True))
    op.create_table('round_team',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('team_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['assessment_round.id'], ),
    sa.ForeignKeyConstraint(['team_id'], ['team.id'], ),
    sa.PrimaryKeyConstraint('round_id', 'team_id')
    )


def downgrade() -> None:
    op.drop_table('round_team')
    with op.batch_alter_table('assessment_round', schema=None) as batch_op:
        for column in ('opened_by', 'responsible', 'part2_deadline', 'part1_deadline', 'window_end', 'decision_date'):
            batch_op.drop_column(column)
