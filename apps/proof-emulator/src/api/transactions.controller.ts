import { Controller, Get, Param, UseGuards } from '@nestjs/common';
import { BearerTokenGuard } from './bearer-token.guard';

export interface TransactionResponse {
  id: string;
  status: 'completed';
}

/** A stand-in for Proof's resource API: only here to tell good tokens from bad ones. */
@Controller('v1/transactions')
@UseGuards(BearerTokenGuard)
export class TransactionsController {
  @Get(':id')
  find(@Param('id') id: string): TransactionResponse {
    return { id, status: 'completed' };
  }
}
