/**
 * The OpenAPI document: the one `npm test` lints (buildOpenApiDocument, no database) is the one the
 * server serves, and every operation in it has a summary, a success schema and the error envelope for
 * each error status it documents, including those every route can answer.
 */
import type { OpenAPIObject, OperationObject, ResponseObject } from '@nestjs/swagger';
import { buildOpenApiDocument } from '#src/server';
import { e2eMode } from '../support/e2e-env';
import { startTestServer, TestServer } from '../support/test-server';

const PUBLIC = new Set(['GET /health/live', 'GET /health/ready', 'GET /metrics']);

function operations(document: OpenAPIObject): [string, OperationObject][] {
  return Object.entries(document.paths).flatMap(([route, item]) =>
    (['get', 'post', 'put', 'patch', 'delete'] as const)
      .filter((method) => item[method])
      .map((method): [string, OperationObject] => [
        `${method.toUpperCase()} ${route}`,
        item[method]!,
      ]),
  );
}

/** The `$ref` of a response's JSON schema, or undefined. */
const jsonRef = (response: ResponseObject): string | undefined =>
  (response.content?.['application/json']?.schema as { $ref?: string } | undefined)?.$ref;

describe(`OpenAPI document (${e2eMode()} mode)`, () => {
  let server: TestServer;
  let document: OpenAPIObject;

  beforeAll(async () => {
    server = await startTestServer({ worker: false });
    document = (await (await fetch(`${server.httpUrl}/api/docs-json`)).json()) as OpenAPIObject;
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('is the document the linter checks (built without a database or a port)', async () => {
    expect(await buildOpenApiDocument(server.config)).toEqual(document);
  });

  it('gives every operation a summary and a success response with a body schema', () => {
    const missing = operations(document).filter(([, operation]) => {
      const success = Object.entries(operation.responses).filter(([status]) => /^2/.test(status));
      return (
        !operation.summary ||
        success.length !== 1 ||
        Object.keys((success[0][1] as ResponseObject).content ?? {}).length === 0
      );
    });
    expect(missing.map(([name]) => name)).toEqual([]);
  });

  it('documents 401 on every route that takes a token, 400 and 413 on every body, 500 everywhere', () => {
    const gaps = operations(document).flatMap(([name, operation]) => {
      const expected = [
        '500',
        ...(PUBLIC.has(name) ? [] : ['401']),
        ...(operation.requestBody ? ['400', '413'] : []),
      ];
      return expected
        .filter((status) => !operation.responses[status])
        .map((status) => `${name} ${status}`);
    });
    expect(gaps).toEqual([]);
    expect(operations(document).length).toBeGreaterThanOrEqual(23);
  });

  it('describes each error status with the error envelope, and the envelope as protocol.md has it', () => {
    const wrong = operations(document).flatMap(([name, operation]) =>
      Object.entries(operation.responses)
        .filter(([status]) => /^[45]/.test(status))
        .filter(([status, response]) => {
          const ref = jsonRef(response as ResponseObject);
          const ready503 = name === 'GET /health/ready' && status === '503';
          return ref !== `#/components/schemas/${ready503 ? 'NotReadyDto' : 'ErrorBodyDto'}`;
        })
        .map(([status]) => `${name} ${status}`),
    );
    expect(wrong).toEqual([]);
    const envelope = document.components!.schemas!.ErrorBodyDto as {
      required: string[];
      properties: Record<string, object>;
    };
    expect(envelope.required.sort()).toEqual(['code', 'message', 'statusCode']);
    expect(Object.keys(envelope.properties).sort()).toEqual(
      ['code', 'details', 'errorId', 'message', 'statusCode'].sort(),
    );
  });

  it('gives skill.create its input schema with the limits the workflow checks', () => {
    const schemas = document.components!.schemas! as Record<
      string,
      { properties: Record<string, Record<string, unknown>>; required?: string[] }
    >;
    expect(schemas.CreateJobDto.properties.input).toMatchObject({
      allOf: [{ $ref: '#/components/schemas/SkillCreateInputDto' }],
    });
    expect(schemas.SkillCreateInputDto.required).toEqual(['task']);
    expect(schemas.SkillCreateInputDto.properties.task).toMatchObject({
      minLength: 1,
      maxLength: 10000,
    });
    expect(schemas.SkillCreateInputDto.properties.sources).toMatchObject({
      type: 'array',
      items: { $ref: '#/components/schemas/SkillSourceDto' },
    });
    expect(schemas.SkillSourceDto.properties.name).toMatchObject({ minLength: 1, maxLength: 200 });
    const options = schemas.SkillCreateOptionsDto.properties;
    expect(options.triggerQueries).toMatchObject({ minimum: 0, maximum: 20, default: 8 });
    expect(options.triggerThreshold).toMatchObject({ minimum: 0, maximum: 1, default: 0.8 });
    expect(options.maxRounds).toMatchObject({ minimum: 1, maximum: 10, default: 3 });
    expect(options.style).toMatchObject({ enum: ['minimal', 'comprehensive', 'navigation_hub'] });
    expect(Object.keys(schemas.PromptSwitchesDto.properties).sort()).toEqual(
      ['clarify', 'confirm', 'preview', 'structure_fix', 'validate'].sort(),
    );
  });
});
