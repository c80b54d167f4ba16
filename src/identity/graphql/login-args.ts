import 'reflect-metadata';
import { ArgsType, Field } from 'type-graphql';

/** A class rather than three `@Arg`s: it keeps the arguments in their documented order. */
@ArgsType()
export class LoginArgs {
  @Field()
  username!: string;

  @Field()
  password!: string;

  @Field(() => String, { nullable: true })
  clientId?: string | null;
}
