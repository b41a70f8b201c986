"""Polls in a show's room: started by its seller or a moderator, one vote per viewer, counts coalesced."""
