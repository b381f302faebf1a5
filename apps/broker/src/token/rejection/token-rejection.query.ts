/** POST /token/rejected takes no query parameter (the profile is in the body): any is a 400. */
export class TokenRejectionQuery {}
