/** The quality gate end to end on a real PostgreSQL warehouse (cases in quality-gate-cases.ts). */
import { postgresSkipReason } from '../helpers/postgres-test-database.ts';
import { describeQualityGate } from './quality-gate-cases.ts';

describeQualityGate('postgres', await postgresSkipReason());
