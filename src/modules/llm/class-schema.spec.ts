import 'reflect-metadata';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsIn, IsString, MaxLength, ValidateNested } from 'class-validator';
import { classSchema } from './class-schema';

class Section {
  @IsString()
  title!: string;
}

class Plan {
  @IsString()
  @MaxLength(10)
  name!: string;

  @IsIn(['short', 'long'])
  length!: string;

  @IsArray()
  @ArrayMaxSize(3)
  @ValidateNested({ each: true })
  @Type(() => Section)
  sections!: Section[];
}

const spec = classSchema('plan', { type: 'object' }, Plan);

describe('classSchema', () => {
  it('returns a checked instance and drops undecorated properties', () => {
    const plan = spec.parse({ name: 'p', length: 'short', sections: [{ title: 'A' }], extra: 1 });
    expect(plan).toBeInstanceOf(Plan);
    expect(plan).toEqual({ name: 'p', length: 'short', sections: [{ title: 'A' }] });
    expect(spec.name).toBe('plan');
    expect(spec.schema).toEqual({ type: 'object' });
  });

  it('throws one readable message listing every problem, nested ones with their path', () => {
    expect(() =>
      spec.parse({ name: 'far too long a name', length: 'medium', sections: [{ title: 3 }] }),
    ).toThrow(
      'name must be shorter than or equal to 10 characters; length must be one of the following values: short, long; sections.0.title must be a string',
    );
  });

  it('refuses what is not an object', () => {
    expect(() => spec.parse([1])).toThrow('expected a JSON object, got an array');
    expect(() => spec.parse(null)).toThrow('expected a JSON object, got null');
    expect(() => spec.parse('x')).toThrow('expected a JSON object, got string');
  });
});
