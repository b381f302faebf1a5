import { ApiProperty } from './api-decorators';

/** Every error answer of the broker. */
export class ErrorBodyDto {
  @ApiProperty({
    description: 'Stable code',
    example: 'unauthenticated',
    enum: [
      'invalid_request',
      'profile_required',
      'unauthenticated',
      'forbidden',
      'unknown_profile',
      'not_found',
      'token_unavailable',
      'min_ttl_unsatisfiable',
      'refresh_too_soon',
      'refresh_failed',
      'token_check_failed',
      'rate_limited',
      'headers_too_large',
      'payload_too_large',
      'unsupported_media_type',
      'request_timeout',
      'internal_error',
    ],
  })
  error!: string;
  @ApiProperty({ description: 'Fixed human-readable text' }) message!: string;
}
