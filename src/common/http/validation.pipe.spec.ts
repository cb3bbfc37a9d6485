import { IsObject } from 'class-validator';
import { AppError } from '../errors/app-error';
import { createValidationPipe } from './validation.pipe';

class BodyDto {
  @IsObject()
  input!: Record<string, unknown>;
}

const nested = (levels: number): Record<string, unknown> => {
  let value: Record<string, unknown> = {};
  for (let i = 0; i < levels; i++) value = { a: value };
  return value;
};

describe('the global validation pipe', () => {
  const pipe = createValidationPipe();

  it('refuses a body nested deeper than 32 levels with VALIDATION_FAILED', async () => {
    const error = await pipe
      .transform({ input: nested(40) }, { type: 'body', metatype: BodyDto })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('VALIDATION_FAILED');
  });

  it('accepts a body within the limit', async () => {
    const value = await pipe.transform({ input: nested(20) }, { type: 'body', metatype: BodyDto });
    expect(value).toBeInstanceOf(BodyDto);
  });

  it('leaves custom parameters alone, however deep or cyclic (a gateway socket)', async () => {
    const socket: Record<string, unknown> = { server: nested(50) };
    socket.self = socket;
    await expect(pipe.transform(socket, { type: 'custom' })).resolves.toBe(socket);
  });
});
