import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';

export const OPENAPI_PATH = 'api/docs';

const DOCUMENT_INFO = new DocumentBuilder()
  .setTitle('Skill Fleet REST API')
  .setDescription(
    'The REST side of the Skill Fleet protocol (docs/protocol.md §2). The WebSocket at /ws carries ' +
      'the same use cases plus live streams. Errors answer {statusCode, code, message, details?, errorId?}.',
  )
  .setVersion('1')
  .setLicense('MIT', 'https://opensource.org/licenses/MIT')
  .addServer('/', 'the server that serves this document')
  .addBearerAuth({
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'opaque token',
    description: 'an API token (skill-fleet tokens create)',
  })
  .build();

/** The REST API's OpenAPI document, from the routes of `app` (started or not). */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  return SwaggerModule.createDocument(app, DOCUMENT_INFO);
}

/**
 * Serves the REST API's OpenAPI document at `/api/docs` (UI) and `/api/docs-json` (the document).
 * Both are public: the document only describes the routes; those marked with the bearer scheme still ask
 * for a token.
 * The document is built on first request, so starting the server pays nothing for it.
 */
export function serveOpenApi(app: INestApplication): void {
  SwaggerModule.setup(OPENAPI_PATH, app, () => openApiDocument(app), {
    jsonDocumentUrl: `${OPENAPI_PATH}-json`,
    raw: ['json'],
  });
}
