import { Inject, Injectable } from '@nestjs/common';
import { AppError } from '#src/common/errors/app-error';
import type { WorkflowDefinition } from './workflow';

/** The workflows a process knows, given to JobsModule.forRoot (tests add their own). */
export const WORKFLOWS = Symbol('WORKFLOWS');

/** Workflows by name. */
@Injectable()
export class WorkflowRegistry {
  private readonly workflows = new Map<string, WorkflowDefinition<unknown, unknown>>();

  constructor(@Inject(WORKFLOWS) definitions: WorkflowDefinition<unknown, unknown>[]) {
    for (const definition of definitions) this.register(definition);
  }

  register<I, R>(definition: WorkflowDefinition<I, R>): void {
    if (this.workflows.has(definition.name)) {
      throw new Error(`Workflow ${definition.name} is registered twice`);
    }
    this.workflows.set(definition.name, definition as WorkflowDefinition<unknown, unknown>);
  }

  get(name: string): WorkflowDefinition<unknown, unknown> | undefined {
    return this.workflows.get(name);
  }

  require(name: string): WorkflowDefinition<unknown, unknown> {
    const workflow = this.get(name);
    if (!workflow) {
      throw AppError.validation([
        {
          field: 'payload.workflow',
          message: `unknown workflow "${name.slice(0, 64)}"; known: ${this.names().join(', ') || 'none'}`,
        },
      ]);
    }
    return workflow;
  }

  names(): string[] {
    return [...this.workflows.keys()].sort();
  }
}
