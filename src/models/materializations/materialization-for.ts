import type { Materialization as Kind } from '../project/model-project.ts';
import { incrementalMaterialization } from './incremental-materialization.ts';
import type { Materialization } from './materialization.ts';
import { tableMaterialization } from './table-materialization.ts';
import { viewMaterialization } from './view-materialization.ts';

/** The strategy for a model kind; ephemeral models are never built (they are inlined as CTEs). */
export function materializationFor(kind: Exclude<Kind, 'ephemeral'>): Materialization {
  switch (kind) {
    case 'view':
      return viewMaterialization;
    case 'table':
      return tableMaterialization;
    case 'incremental':
      return incrementalMaterialization;
  }
}
