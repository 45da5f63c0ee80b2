"""Phone intake without Twilio: which number belongs to which city (``lines``), reports made by phone
(``reports``), recordings sealed as case items (``recordings``), WAV in and out (``audio``) and voice disguise
(``voice_disguise``). The delivery layer (hotline.voice) speaks Twilio; nothing here does."""
