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
