/** The quality gate end to end on the embedded DuckDB warehouse (cases in quality-gate-cases.ts). */
import { describeQualityGate } from './quality-gate-cases.ts';

describeQualityGate('duckdb', undefined);
