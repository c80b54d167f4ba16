import 'reflect-metadata';
import { DateTimeResolver } from 'graphql-scalars';
import { Directive, Field, ID, ObjectType } from 'type-graphql';

@ObjectType('TokenResult', { description: 'A signed JWT.' })
export class TokenResult {
  @Field()
  token!: string;
}

@ObjectType('User')
@Directive('@key(fields: "id")')
export class UserType {
  @Field(() => ID)
  id!: string;

  @Field()
  username!: string;

  @Field(() => String, { nullable: true })
  email!: string | null;
}

@ObjectType('Session', { description: 'A login: what one session token stands for, until revoked.' })
export class SessionType {
  @Field(() => ID)
  id!: string;

  @Field()
  clientId!: string;

  @Field(() => String, { nullable: true })
  ipAddress!: string | null;

  @Field()
  userAgent!: string;

  @Field(() => DateTimeResolver)
  createdAt!: Date;

  @Field(() => DateTimeResolver, { nullable: true, description: 'Recorded at most once a minute.' })
  lastUsedAt!: Date | null;

  @Field({ description: 'Whether the token of this request belongs to this session.' })
  current!: boolean;
}
